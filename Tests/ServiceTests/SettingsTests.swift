import Configuration
import Foundation
import Logging
import PGStore
import Service
import TestSupport
import Testing

@Suite("Settings: one table, a flag and a variable each")
struct SettingsTests {
    static func load(arguments: [String] = [], environment: [String: String] = [:]) throws(ServiceSettingError) -> ServiceConfiguration {
        try ServiceConfiguration.load(
            from: ConfigReader(providers: [
                CommandLineArgumentsProvider(arguments: ["contacts"] + arguments),
                EnvironmentVariablesProvider(environmentVariables: environment),
            ]))
    }

    /// The flag and the variable the table prints are the ones swift-configuration reads.
    @Test func everySettingReadsFromItsFlagAndItsVariable() throws {
        let defaults = ServiceConfiguration()
        for setting in ServiceSetting.all {
            let value = Self.sample(setting.key)
            let fromFlag = try Self.load(arguments: [setting.flag, value])
            let fromVariable = try Self.load(environment: [setting.environmentVariable: value])
            if setting.isSecret {
                #expect(fromFlag.cursorSecret == value && fromVariable.cursorSecret == value)
                continue
            }
            #expect(setting.defaultText(fromFlag) == setting.defaultText(fromVariable), "\(setting.key)")
            #expect(
                setting.defaultText(fromFlag) != setting.defaultText(defaults), "\(setting.key): \(setting.flag) \(value) changed nothing")
        }
    }

    @Test func aFlagWinsOverItsVariable() throws {
        let configuration = try Self.load(arguments: ["--pool-size=6"], environment: ["POOL_SIZE": "9", "PORT": "9000"])
        #expect(configuration.pool.maxConnections == 6)
        #expect(configuration.port == 9000)
        // The shares follow the size unless set.
        #expect(configuration.pool.maxConnectionsPerOwner == 3)
        #expect(try Self.load(arguments: ["--pool-size", "6", "--pool-share-per-workspace", "1"]).pool.maxConnectionsPerOwner == 1)
    }

    @Test func aValueThatDoesNotReadIsRefusedNamingItsFlag() {
        for (arguments, flag) in [
            (["--pool-size", "x"], "--pool-size"), (["--port", "70000"], "--port"), (["--log-level", "loud"], "--log-level"),
            (["--metrics-address", "9090"], "--metrics-address"), (["--rate-limit-per-second", "-1"], "--rate-limit-per-second"),
            (["--token-cache-seconds", "nan"], "--token-cache-seconds"), (["--webhooks-allow-http", "yes"], "--webhooks-allow-http"),
            (["--webhooks-allow-networks", "10.0.0.0/40"], "--webhooks-allow-networks"),
            (["--changes-max-wait-seconds", "31"], "--changes-max-wait-seconds"),
        ] {
            #expect(throws: ServiceSettingError.self) { try Self.load(arguments: arguments) }
            do { _ = try Self.load(arguments: arguments) } catch { #expect(error.flag == flag) }
        }
    }

    @Test func aSecretWithACommaIsReadWhole() throws {
        #expect(try Self.load(arguments: ["--cursor-secret", "a,b"]).cursorSecret == "a,b")
        #expect(try Self.load(environment: ["CURSOR_SECRET": "a,b"]).cursorSecret == "a,b")
    }

    /// The README's table is the same table: every flag, its variable and its default.
    @Test func theReadmeListsEverySettingWithItsDefault() throws {
        let readme = try String(contentsOf: TestServer.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let defaults = ServiceConfiguration()
        for setting in ServiceSetting.all {
            let row = readme.split(separator: "\n").first { $0.hasPrefix("| `\(setting.flag)` |") }
            #expect(row != nil, "README has no row for \(setting.flag)")
            #expect(row?.contains("`\(setting.environmentVariable)`") == true, "\(setting.flag)")
            #expect(
                row?.contains("`\(setting.defaultText(defaults))`") == true, "\(setting.flag): default \(setting.defaultText(defaults))")
        }
    }

    /// A value unlike the default, for each key.
    static func sample(_ key: String) -> String {
        switch key {
        case "host": "0.0.0.0"
        case "cursor.secret": "another secret"
        case "metrics.address": "127.0.0.1:9999"
        case "log.level": "debug"
        case "pool.share.per.workspace", "pool.bulk.connections": "1"
        case "webhooks.allow.http": "true"
        case "webhooks.allow.networks": "127.0.0.0/8,fd00::/8"
        default: "3"
        }
    }
}
