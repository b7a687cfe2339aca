import Sluice

/// What the command line asks for.
enum ParsedCommand: Equatable {
    case help(HelpText.Topic)
    case version
    case run(CaptureOptions, command: [String])
    case pipe(CaptureOptions)
}

/// Parses `sluice`'s arguments: a subcommand, then `--option value`, `--option=value` or `--flag`,
/// and for `run` the command after `--` (or after the first argument that is not an option).
enum CommandLineParser {
    /// Which subcommands take an option.
    private enum Scope {
        case both, run, pipe
    }

    private static let flags: [String: Scope] = [
        "--gzip": .both, "--tee": .both, "--parse-level": .both, "--quiet": .both,
    ]
    private static let valued: [String: Scope] = [
        "--name": .both, "--dir": .both, "--format": .both, "--rotate-size": .both, "--rotate": .both,
        "--keep": .both, "--durability": .both, "--syslog": .both, "--http": .both, "--max-line": .both,
        "--idle": .both, "--overflow": .both, "--drain-timeout": .both,
        "--stdout-level": .run, "--stderr-level": .run, "--restart": .run, "--backoff": .run,
        "--max-backoff": .run, "--max-restarts": .run, "--kill-after": .run,
        "--level": .pipe,
    ]

    static func parse(_ arguments: [String]) throws(UsageError) -> ParsedCommand {
        guard let subcommand = arguments.first else {
            throw UsageError(
                "a subcommand is missing; use 'sluice run -- COMMAND' or 'sluice pipe' (see sluice --help)")
        }
        let rest = Array(arguments.dropFirst())
        switch subcommand {
        case "-h", "--help":
            return .help(.general)
        case "help":
            switch rest.first {
            case nil: return .help(.general)
            case "run": return .help(.run)
            case "pipe": return .help(.pipe)
            case let other?: throw UsageError("no help on '\(other)'; use 'sluice help run' or 'sluice help pipe'")
            }
        case "--version", "-V":
            return .version
        case "run":
            let (options, command, help) = try parseOptions(rest, isRun: true)
            if help {
                return .help(.run)
            }
            guard let program = command.first, !program.isEmpty else {
                throw UsageError("run: the command to run is missing; write it after '--', e.g. sluice run -- ./server")
            }
            var validated = try validate(options, isRun: true)
            if validated.name == nil {
                validated.name = String(program.split(separator: "/").last ?? Substring(program))
            }
            return .run(validated, command: command)
        case "pipe":
            let (options, _, help) = try parseOptions(rest, isRun: false)
            if help {
                return .help(.pipe)
            }
            var validated = try validate(options, isRun: false)
            if validated.name == nil {
                validated.name = "stdin"
            }
            return .pipe(validated)
        default:
            throw UsageError("unknown subcommand '\(subcommand)'; use 'run' or 'pipe' (see sluice --help)")
        }
    }

    private static func parseOptions(
        _ arguments: [String], isRun: Bool
    ) throws(UsageError) -> (CaptureOptions, command: [String], help: Bool) {
        var options = CaptureOptions()
        var index = 0
        let subcommand = isRun ? "run" : "pipe"
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                guard isRun else { throw UsageError("pipe takes no command; it reads its standard input") }
                return (options, Array(arguments[index...]), false)
            }
            guard argument.hasPrefix("-"), argument != "-" else {
                guard isRun else { throw UsageError("pipe: unexpected argument '\(argument)'") }
                return (options, Array(arguments[(index - 1)...]), false)
            }
            if argument == "--help" || argument == "-h" {
                return (options, [], true)
            }
            var name = argument
            var inlineValue: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            if let scope = flags[name] {
                guard inlineValue == nil else { throw UsageError("\(name) takes no value") }
                try check(scope, name, isRun: isRun)
                switch name {
                case "--gzip": options.gzip = true
                case "--tee": options.tee = true
                case "--parse-level": options.parseLevel = true
                default: options.quiet = true
                }
                continue
            }
            guard let scope = valued[name] else {
                throw UsageError("\(subcommand): unknown option '\(name)' (see sluice help \(subcommand))")
            }
            try check(scope, name, isRun: isRun)
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard index < arguments.count else { throw UsageError("\(name) needs a value") }
                value = arguments[index]
                index += 1
            }
            try apply(name, value, to: &options)
        }
        return (options, [], false)
    }

    private static func check(_ scope: Scope, _ name: String, isRun: Bool) throws(UsageError) {
        switch scope {
        case .both: return
        case .run where !isRun:
            throw UsageError("\(name) is an option of 'sluice run' only")
        case .pipe where isRun:
            throw UsageError("\(name) is an option of 'sluice pipe'; use --stdout-level and --stderr-level with run")
        default: return
        }
    }

    private static func apply(
        _ name: String, _ value: String, to options: inout CaptureOptions
    ) throws(UsageError) {
        switch name {
        case "--name":
            guard !value.isEmpty else { throw UsageError("--name must not be empty") }
            options.name = value
        case "--dir":
            guard !value.isEmpty else { throw UsageError("--dir must not be empty") }
            options.directory = value
        case "--format":
            if let format = CaptureOptions.LineFormat(rawValue: value) {
                options.format = format
            } else if let encoding = CaptureOptions.HTTPEncoding(rawValue: value) {
                options.httpEncoding = encoding
            } else {
                throw UsageError(
                    "--format: '\(value)' is not a format; use text, json or logfmt (files and standard output) or ndjson, otlp or elasticsearch (--http)"
                )
            }
        case "--rotate-size":
            options.rotateBytes = try OptionValue.bytes(value, option: name)
        case "--rotate":
            guard let period = CaptureOptions.RotationPeriod(rawValue: value) else {
                throw UsageError("--rotate: '\(value)' is not a period; use daily or hourly")
            }
            options.rotatePeriod = period
        case "--keep":
            options.keep = try OptionValue.count(value, option: name, minimum: 1)
        case "--durability":
            options.durability = try durability(value)
        case "--syslog":
            options.syslog = try syslogTransport(value)
        case "--http":
            guard value.hasPrefix("http://") || value.hasPrefix("https://") else {
                throw UsageError("--http: '\(value)' is not an http or https URL, e.g. http://127.0.0.1:4318/v1/logs")
            }
            options.http = value
        case "--max-line":
            let bytes = try OptionValue.bytes(value, option: name)
            guard (16...(64 << 20)).contains(bytes) else { throw UsageError("--max-line must be between 16 and 64M") }
            options.maxLineBytes = bytes
        case "--idle":
            options.idle = try OptionValue.duration(value, option: name)
        case "--overflow":
            switch value {
            case "block": options.overflow = .block
            case "drop-oldest": options.overflow = .dropOldest
            case "drop-newest": options.overflow = .dropNewest
            default: throw UsageError("--overflow: '\(value)' is not a policy; use block, drop-oldest or drop-newest")
            }
        case "--drain-timeout":
            options.drainTimeout = try OptionValue.duration(value, option: name)
        case "--stdout-level", "--level":
            options.stdoutLevel = try level(value, option: name)
        case "--stderr-level":
            options.stderrLevel = try level(value, option: name)
        case "--restart":
            guard let mode = RestartPolicy.Mode(rawValue: value == "no" ? "never" : value) else {
                throw UsageError("--restart: '\(value)' is not a policy; use never, on-failure or always")
            }
            options.restart.mode = mode
        case "--backoff":
            options.restart.backoff = try OptionValue.duration(value, option: name)
        case "--max-backoff":
            options.restart.maxBackoff = try OptionValue.duration(value, option: name)
        case "--max-restarts":
            options.restart.maxRestarts = try OptionValue.count(value, option: name)
        case "--kill-after":
            options.killAfter = try OptionValue.duration(value, option: name)
        default:
            preconditionFailure("internal inconsistency: option \(name) is listed but not handled")
        }
    }

    private static func level(_ value: String, option: String) throws(UsageError) -> LogLevel {
        guard let level = LogLevel(value) else {
            throw UsageError(
                "\(option): '\(value)' is not a level; use one of \(LogLevel.allCases.map(\.name).joined(separator: ", "))"
            )
        }
        return level
    }

    private static func durability(_ value: String) throws(UsageError) -> Durability {
        switch value {
        case "none": return .noSync
        case "flush": return .fsyncOnFlush
        case "batch": return .fsyncEveryBatch
        default:
            guard let interval = try? OptionValue.duration(value, option: "--durability"), interval > .zero else {
                throw UsageError("--durability: '\(value)' is not a mode; use none, flush, batch or a duration like 1s")
            }
            return .flushEvery(interval)
        }
    }

    /// `udp://HOST[:PORT]`, `tcp://HOST:PORT`, `unix:PATH` or `unix://PATH`; IPv6 hosts in brackets.
    static func syslogTransport(_ value: String) throws(UsageError) -> SyslogTransport {
        let invalid = UsageError(
            "--syslog: '\(value)' is not a syslog address; use udp://HOST[:PORT], tcp://HOST:PORT or unix:/dev/log")
        if value.hasPrefix("unix:") {
            var path = String(value.dropFirst("unix:".count))
            if path.hasPrefix("//") {
                path.removeFirst(2)
            }
            guard path.hasPrefix("/") else { throw invalid }
            return .unix(path: path)
        }
        let isUDP = value.hasPrefix("udp://")
        guard isUDP || value.hasPrefix("tcp://") else { throw invalid }
        let address = value.dropFirst(6)
        var host: Substring
        var port: Substring?
        if address.hasPrefix("[") {
            guard let close = address.firstIndex(of: "]") else { throw invalid }
            host = address[address.index(after: address.startIndex)..<close]
            let after = address[address.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid }
                port = after.dropFirst()
            }
        } else if let colon = address.lastIndex(of: ":") {
            host = address[..<colon]
            port = address[address.index(after: colon)...]
        } else {
            host = address
        }
        guard !host.isEmpty, !host.contains("/") else { throw invalid }
        let number: Int
        if let port {
            guard let parsed = Int(port), (1...65_535).contains(parsed) else { throw invalid }
            number = parsed
        } else {
            guard isUDP else { throw UsageError("--syslog: a TCP address needs a port, e.g. tcp://127.0.0.1:514") }
            number = 514
        }
        return isUDP ? .udp(host: String(host), port: number) : .tcp(host: String(host), port: number)
    }

    private static func validate(_ options: CaptureOptions, isRun: Bool) throws(UsageError) -> CaptureOptions {
        let rotates = options.rotateBytes != nil || options.rotatePeriod != nil
        if (rotates || options.keep != nil || options.gzip) && options.directory == nil {
            throw UsageError("--rotate-size, --rotate, --keep and --gzip apply to files: add --dir DIR")
        }
        if (options.keep != nil || options.gzip) && !rotates {
            throw UsageError("--keep and --gzip apply to rotated files: add --rotate-size or --rotate")
        }
        if options.tee && !options.hasOutput {
            throw UsageError(
                "--tee copies the input to standard output, where the records go without --dir, --syslog or --http; add an output"
            )
        }
        if let rotateBytes = options.rotateBytes, rotateBytes < 4096 {
            throw UsageError("--rotate-size must be at least 4K")
        }
        let restart = options.restart
        if restart.backoff > restart.maxBackoff {
            throw UsageError("--backoff (\(restart.backoff)) is longer than --max-backoff (\(restart.maxBackoff))")
        }
        return options
    }
}
