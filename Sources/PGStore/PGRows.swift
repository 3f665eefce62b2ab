/// One column of a result: its name and the server's type OID.
public struct PGColumn: Sendable, Hashable {
    public var name: String
    public var typeOID: UInt32
}

/// A value that could not be decoded, naming the column; never the value itself.
public struct PGDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var column: String
    public var typeOID: UInt32?
    public var reason: String

    public var description: String {
        "PGDecodingError(column: \(column), reason: \(reason))"
    }
}

/// The rows of one statement, copied out of libpq's `PGresult` (which is freed at once).
public struct PGRows: Sendable, RandomAccessCollection {
    public let columns: [PGColumn]
    /// Row-major cells, `nil` for SQL NULL.
    let cells: [String?]
    /// Rows affected, for INSERT/UPDATE/DELETE (`PQcmdTuples`); 0 otherwise.
    public let affectedRowCount: Int
    /// The command tag, such as `INSERT 0 1`.
    public let commandTag: String

    init(columns: [PGColumn], cells: [String?], affectedRowCount: Int, commandTag: String) {
        self.columns = columns
        self.cells = cells
        self.affectedRowCount = affectedRowCount
        self.commandTag = commandTag
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { columns.isEmpty ? 0 : cells.count / columns.count }

    public subscript(position: Int) -> PGRow {
        PGRow(columns: columns, cells: cells[(position * columns.count)..<((position + 1) * columns.count)])
    }

    /// The index of the column called `name`, if any.
    public func columnIndex(_ name: String) -> Int? {
        columns.firstIndex { $0.name == name }
    }
}

/// One row of a ``PGRows``.
public struct PGRow: Sendable {
    public let columns: [PGColumn]
    let cells: ArraySlice<String?>

    /// The raw text of a cell, `nil` for NULL.
    public subscript(index: Int) -> String? {
        cells[cells.startIndex + index]
    }

    public func decode<T: PGDecodable>(_ type: T.Type = T.self, at index: Int) throws(PGDecodingError) -> T {
        guard columns.indices.contains(index) else {
            throw PGDecodingError(column: "#\(index)", typeOID: nil, reason: "no such column")
        }
        do {
            if let text = cells[cells.startIndex + index] {
                return try T(pgText: text)
            }
            return try T.pgNull()
        } catch {
            throw PGDecodingError(column: columns[index].name, typeOID: columns[index].typeOID, reason: error.reason)
        }
    }

    public func decode<T: PGDecodable>(_ type: T.Type = T.self, column name: String) throws(PGDecodingError) -> T {
        guard let index = columns.firstIndex(where: { $0.name == name }) else {
            throw PGDecodingError(column: name, typeOID: nil, reason: "no such column")
        }
        return try decode(type, at: index)
    }
}
