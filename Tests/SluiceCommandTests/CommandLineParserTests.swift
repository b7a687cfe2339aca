import Sluice
import Testing

@testable import SluiceCommand

@Suite struct CommandLineParserTests {
    func parse(_ line: String) throws(UsageError) -> ParsedCommand {
        try CommandLineParser.parse(line.split(separator: " ").map(String.init))
    }

    func usageError(_ line: String) -> String? {
        do {
            _ = try parse(line)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func runTakesOptionsThenTheCommandAfterTheSeparator() throws {
        let command = try parse(
            "run --dir logs --name=api --rotate-size 64M --keep 10 --gzip --rotate daily --format json -- ./server --port 8080"
        )
        guard case .run(let options, let program) = command else {
            Issue.record("expected run, got \(command)")
            return
        }
        #expect(program == ["./server", "--port", "8080"])
        #expect(options.directory == "logs" && options.name == "api" && options.format == .json)
        #expect(options.rotateBytes == 64 << 20 && options.rotatePeriod == .daily && options.keep == 10)
        #expect(options.gzip)
        #expect(options.rotation.trigger == RotationTrigger.size(bytes: 64 << 20).or(.daily))
        #expect(options.rotation.keep == .files(10) && options.rotation.compression == .gzip)
    }

    @Test func runWithoutSeparatorStartsTheCommandAtTheFirstNonOption() throws {
        guard case .run(let options, let program) = try parse("run --tee --dir d /usr/bin/env ls --help") else {
            Issue.record("expected run")
            return
        }
        #expect(program == ["/usr/bin/env", "ls", "--help"], "the command's own --help is not sluice's")
        #expect(options.tee)
        #expect(options.name == "env", "the default name is the command's base name")
    }

    @Test func helpAndVersion() throws {
        #expect(try parse("--help") == .help(.general))
        #expect(try parse("help run") == .help(.run))
        #expect(try parse("pipe -h") == .help(.pipe))
        #expect(try parse("run --name x --help -- ls") == .help(.run))
        #expect(try parse("--version") == .version)
        let manual = HelpText.text(.general)
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "SIGNALS", "EXIT STATUS", "EXAMPLES"] {
            #expect(manual.contains("\n\(section)\n") || manual.hasPrefix("\(section)\n"), "\(section)")
        }
        // Every option the parser accepts is documented.
        for option in [
            "--name", "--format", "--parse-level", "--stdout-level", "--stderr-level", "--max-line", "--idle", "--dir",
            "--rotate-size", "--rotate", "--keep", "--gzip", "--durability", "--syslog", "--http", "--tee",
            "--restart", "--backoff", "--max-backoff", "--max-restarts", "--kill-after", "--overflow",
            "--drain-timeout", "--quiet",
        ] {
            #expect(manual.contains(option + " "), "\(option) is missing from the manual")
        }
        #expect(HelpText.text(.pipe).contains("--level LEVEL"))
        #expect(!HelpText.text(.pipe).contains("--restart"))
    }

    @Test func formatNamesEitherTheLineFormatOrTheHTTPEncoding() throws {
        guard case .run(let options, _) = try parse("run --http http://127.0.0.1:4318/v1/logs --format otlp -- app")
        else {
            Issue.record("expected run")
            return
        }
        #expect(options.httpEncoding == .otlp && options.format == .text)
        guard case .pipe(let both) = try parse("pipe --format logfmt --format elasticsearch") else {
            Issue.record("expected pipe")
            return
        }
        #expect(both.format == .logfmt && both.httpEncoding == .elasticsearch && both.name == "stdin")
    }

    @Test func optionValuesParse() throws {
        #expect(try OptionValue.bytes("512k", option: "-") == 512 * 1024)
        #expect(try OptionValue.bytes("1G", option: "-") == 1 << 30)
        #expect(try OptionValue.bytes("64MiB", option: "-") == 64 << 20)
        #expect(try OptionValue.bytes("4096", option: "-") == 4096)
        #expect(try OptionValue.bytes("100b", option: "-") == 100)
        #expect(try OptionValue.duration("150ms", option: "-") == .milliseconds(150))
        #expect(try OptionValue.duration("1.5s", option: "-") == .milliseconds(1500))
        #expect(try OptionValue.duration("2", option: "-") == .seconds(2))
        #expect(try OptionValue.duration("2m", option: "-") == .seconds(120))
        #expect(try OptionValue.duration("1h", option: "-") == .seconds(3600))
        guard
            case .run(let options, _) = try parse(
                "run --durability 250ms --overflow drop-oldest --restart on-failure --backoff 50ms --max-backoff 1s --max-restarts 3 --kill-after 2s --stderr-level warning --idle 1s --max-line 1K -- x"
            )
        else {
            Issue.record("expected run")
            return
        }
        #expect(options.durability == .flushEvery(.milliseconds(250)))
        #expect(options.overflow == .dropOldest)
        #expect(
            options.restart
                == RestartPolicy(mode: .onFailure, backoff: .milliseconds(50), maxBackoff: .seconds(1), maxRestarts: 3))
        #expect(options.killAfter == .seconds(2) && options.stderrLevel == .warning && options.idle == .seconds(1))
        #expect(options.maxLineBytes == 1024)
    }

    @Test func syslogAddresses() throws {
        #expect(try CommandLineParser.syslogTransport("udp://127.0.0.1") == .udp(host: "127.0.0.1", port: 514))
        #expect(try CommandLineParser.syslogTransport("udp://logs:5514") == .udp(host: "logs", port: 5514))
        #expect(try CommandLineParser.syslogTransport("tcp://[::1]:601") == .tcp(host: "::1", port: 601))
        #expect(try CommandLineParser.syslogTransport("unix:/dev/log") == .unix(path: "/dev/log"))
        #expect(try CommandLineParser.syslogTransport("unix:///run/log.sock") == .unix(path: "/run/log.sock"))
        for bad in [
            "tcp://host", "udp://:514", "udp://h:0", "udp://h:99999", "http://h", "unix:relative", "udp://[::1",
        ] {
            #expect(throws: UsageError.self, "\(bad)") { try CommandLineParser.syslogTransport(bad) }
        }
    }

    @Test func mistakesGetAMessageSayingWhatToChange() {
        let cases: [(String, String)] = [
            ("", "subcommand is missing"),
            ("start", "unknown subcommand 'start'"),
            ("run --dir logs", "command to run is missing"),
            ("run --bogus -- x", "unknown option '--bogus'"),
            ("run --name", "--name needs a value"),
            ("run --gzip=yes -- x", "--gzip takes no value"),
            ("run --keep 3 -- x", "add --dir DIR"),
            ("run --dir d --keep 3 -- x", "add --rotate-size or --rotate"),
            ("run --dir d --rotate-size 1k -- x", "at least 4K"),
            ("run --dir d --rotate-size lots -- x", "is not a size"),
            ("run --dir d --rotate weekly -- x", "daily or hourly"),
            ("run --format xml -- x", "is not a format"),
            ("run --idle soon -- x", "is not a duration"),
            ("run --restart sometimes -- x", "never, on-failure or always"),
            ("run --backoff 5s --max-backoff 1s -- x", "longer than --max-backoff"),
            ("run --level debug -- x", "--stdout-level"),
            ("pipe --restart always", "option of 'sluice run' only"),
            ("pipe -- ls", "pipe takes no command"),
            ("pipe extra", "unexpected argument 'extra'"),
            ("run --http ftp://x -- x", "not an http or https URL"),
            ("run --durability sometimes -- x", "none, flush, batch or a duration"),
            ("run --max-line 8 -- x", "between 16 and 64M"),
            ("run --stdout-level loud -- x", "is not a level"),
            ("run --tee -- x", "--tee copies the input to standard output"),
        ]
        for (line, expected) in cases {
            let message = usageError(line)
            #expect(message?.contains(expected) == true, "'\(line)': \(message ?? "no error")")
        }
    }
}
