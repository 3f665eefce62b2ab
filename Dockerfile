# The contacts API. Build: docker build -t contacts .   (docker-compose.yml runs it with PostgreSQL)
# swift-configuration and swift-otel need Swift 6.2 or later.
FROM swift:6.3-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpq-dev libssl-dev libphonenumber-dev libprotobuf-dev pkg-config python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY scripts ./scripts
# GET /docs's renderer (Swagger UI, pinned and checked by its hash).
RUN SWAGGER_UI_DIR=/src/docs-ui scripts/install-swagger-ui.sh
# With the OTLP exporter: tracing is on when OTEL_EXPORTER_OTLP_ENDPOINT is set.
RUN swift build -c release --product contacts --static-swift-stdlib --traits OTLPTracing

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpq5 libphonenumber8 libprotobuf32 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/.build/release/contacts /usr/local/bin/contacts
COPY sql /app/sql
COPY --from=build /src/docs-ui /app/docs-ui
# Metrics on their own port, reachable inside the container network only (not published).
ENV MIGRATIONS_DIR=/app/sql DOCS_DIRECTORY=/app/docs-ui HOST=0.0.0.0 PORT=8080 METRICS_ADDRESS=0.0.0.0:9090
USER nobody
EXPOSE 8080 9090
ENTRYPOINT ["contacts"]
CMD ["serve"]
