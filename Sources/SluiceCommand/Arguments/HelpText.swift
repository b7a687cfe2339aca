/// `sluice --help`: the manual, in the layout of a man page.
enum HelpText {
    enum Topic: Equatable {
        case general, run, pipe
    }

    static let version = "sluice 0.1.0"

    static func text(_ topic: Topic) -> String {
        switch topic {
        case .general: manual
        case .run: synopsis + runDescription + lines + options(isRun: true) + signals + exitStatus
        case .pipe: synopsis + "DESCRIPTION\n" + pipeDescription + lines + options(isRun: false) + signals + exitStatus
        }
    }

    private static var manual: String {
        "NAME\n     sluice - capture a program's output into rotated, compressed, shipped logs\n\n" + synopsis
            + runDescription + pipeDescription + lines + options(isRun: true) + signals + records + exitStatus
            + examples
    }

    private static let synopsis = """
        SYNOPSIS
             sluice run [OPTIONS] [--] COMMAND [ARGUMENT ...]
             sluice pipe [OPTIONS]
             sluice help [run | pipe]
             sluice --version


        """

    private static let runDescription = """
        DESCRIPTION
             sluice run starts COMMAND (found on PATH) with its standard output and standard error on
             pipes and writes every line it prints as a log record: label NAME, stream stdout or stderr,
             level info or error, timestamped when read. Signals sent to sluice reach the program, and
             sluice exits with the program's status once every line is written. Without --dir, --syslog
             or --http, records go to standard output.


        """

    private static let pipeDescription = """
             sluice pipe writes every line of its standard input as a record, as sluice run does
             for a program's output (stream stdin, level info), until the input ends:

                  ./batch-job 2>&1 | sluice pipe --dir logs --name batch


        """

    private static let lines = """
        LINES
             Lines are split on newline; a CR before it is dropped. A line still without its newline
             after --idle of silence is written as it stands, marked partial=true, and what follows
             starts a new line. A line longer than --max-line keeps its beginning and ends in
             "…[truncated, N bytes]". Invalid UTF-8 is written as \\xNN per byte, and every format
             escapes control characters, so one line of output is always one record.


        """

    private static func options(isRun: Bool) -> String {
        var text = """
            OPTIONS
               Records
                 --name NAME            label of every record and name of its file; default: the base
                                        name of COMMAND (run), "stdin" (pipe)
                 --format FORMAT        text (default), json or logfmt for files and standard output;
                                        ndjson (default), otlp or elasticsearch for --http; give it twice
                                        to set both
                 --parse-level          take each line's level from the line: a leading word ([ERROR],
                                        WARN:, info), a <N> priority prefix, a level=warn field; JSON
                                        lines with a level field become structured records (msg as the
                                        message, the other fields as metadata)

            """
        if isRun {
            text += """
                     --stdout-level LEVEL   level of standard output lines; default info
                     --stderr-level LEVEL   level of standard error lines; default error

                """
        } else {
            text += """
                     --level LEVEL          level of input lines; default info

                """
        }
        text += """
                 --max-line BYTES       longest line kept whole; default 16K
                 --idle DURATION        silence after which a partial line is written; default 100ms

               Files: DIR/NAME.log, archived as NAME.<UTC time>.log[.gz]
                 --dir DIR              write the records to DIR/NAME.log (DIR created if missing)
                 --rotate-size BYTES    start a new file before this one would exceed BYTES, e.g. 64M
                 --rotate PERIOD        start a new file every day or hour (UTC): daily or hourly;
                                        combines with --rotate-size
                 --keep N               keep the newest N archives, delete older ones; default all
                 --gzip                 compress archives, in the background
                 --durability MODE      when to fdatasync: a DURATION after a write (default 1s),
                                        flush (on each flush and rotation), batch (after every
                                        write) or none

               Shipping
                 --syslog URL           send to syslog (RFC 5424): udp://HOST[:PORT], tcp://HOST:PORT
                                        or unix:PATH
                 --http URL             POST to URL, encoded as --format says (ndjson, otlp,
                                        elasticsearch); an otlp service is named NAME
                 --tee                  also copy the input, byte for byte, to sluice's own standard
                                        output (and standard error for the program's standard
                                        error); needs --dir, --syslog or --http


            """
        if isRun {
            text += """
                   Supervision
                     --restart POLICY       never (default), on-failure (an exit status other than 0 or a
                                            signal) or always
                     --backoff DURATION     wait before the first restart, doubled for each next one;
                                            default 1s
                     --max-backoff DURATION longest wait; default 60s. A program that ran at least this
                                            long starts again from --backoff
                     --max-restarts N       give up after N restarts; default no limit
                     --kill-after DURATION  send SIGKILL if the program is still running this long after
                                            a forwarded SIGTERM, SIGINT or SIGQUIT; default never


                """
        }
        text += """
               Operation
                 --overflow POLICY      block (default: when the outputs fall behind, reading waits,
                                        and so does the program), drop-oldest or drop-newest
                 --drain-timeout DURATION
                                        longest the final drain may take; default 10s
                 --quiet                print no summary on standard error at exit
                 -h, --help             this text


            """
        return text
    }

    private static let signals = """
        SIGNALS
             run: SIGTERM, SIGINT, SIGQUIT and SIGHUP are forwarded to the program; a signal the
             terminal sent to the whole foreground process group (Ctrl-C) has reached it already and is
             not sent twice. SIGHUP also reopens the log files (after logrotate moved them). After a
             SIGTERM, SIGINT or SIGQUIT the program is not restarted.
             pipe: SIGTERM, SIGINT and SIGQUIT stop reading; what was read is written and sluice exits.
             SIGHUP reopens the log files.


        """

    private static let records = """
        RECORDS
             Each start and exit of the program is a record of its own, with stream=sluice: "started"
             (pid, command, run), "exited with status N" or "killed by signal SIGNAME" (pid, status,
             signal, uptime) and what happens next. At exit sluice prints a summary on standard error:
             lines per stream, partial and truncated lines, restarts, what each output wrote and
             dropped.


        """

    private static let exitStatus = """
        EXIT STATUS
             run: the program's exit status, or 128+N when signal N ended it; 127 when COMMAND was
             not found and 126 when it could not be executed (after the restarts the policy allows).
             pipe: 0 when every line was written, 1 when some were dropped.
             Both: 2 for a command line sluice cannot run, 1 when an output cannot be opened.


        """

    private static let examples = """
        EXAMPLES
             sluice run --dir /var/log/apps --rotate-size 64M --keep 10 --gzip -- ./server --port 8080
             sluice run --name worker --restart on-failure --max-restarts 5 -- python3 worker.py
             sluice run --syslog udp://127.0.0.1 --http http://127.0.0.1:4318/v1/logs --format otlp -- ./app
             ./batch-job 2>&1 | sluice pipe --dir logs --name batch --rotate daily --format json

        """
}
