# syntax=docker/dockerfile:1
# Build a static stagehand binary, then ship it alone in a minimal non-root image.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/stagehand ./cmd/stagehand

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/stagehand /usr/local/bin/stagehand
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/stagehand"]
