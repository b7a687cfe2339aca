/// Where a ``PostgresSink`` connects, and as whom: a libpq connection string or URL, or the parts.
///
/// ```swift
/// let options = PostgresConnectionOptions(
///     host: "db.internal", port: 5432, database: "app", user: "logger",
///     password: ProcessInfo.processInfo.environment["LOG_DB_PASSWORD"], tls: .verifyFull()
/// )
/// let fromURL = PostgresConnectionOptions.connectionString("postgresql://logger@db.internal/app?sslmode=verify-full")
/// ```
///
/// The password never appears in the sink's name, its stats, its errors or its description; with a
/// connection string, libpq's other sources of a password (`PGPASSWORD`, `~/.pgpass`) work as usual.
public struct PostgresConnectionOptions: Sendable, CustomStringConvertible {
    /// A connection string or URL for libpq to expand, if given that way.
    package var connectionString: String?
    /// libpq keywords and values; they win over what the connection string says.
    package var parameters: [String: String]
    /// The password, kept apart so every message can be scrubbed of it.
    package var password: String?

    private init(connectionString: String?, parameters: [String: String], password: String?) {
        var parameters = parameters
        // A password given as a keyword is kept apart too.
        let keyword = parameters.removeValue(forKey: "password")
        self.connectionString = connectionString
        self.parameters = parameters
        self.password = password ?? keyword
    }

    /// Connects with a libpq connection string (`host=db port=5432 dbname=app user=logger`) or URL
    /// (`postgresql://logger:secret@db:5432/app?sslmode=require`).
    ///
    /// - Parameters:
    ///   - string: The connection string or URL.
    ///   - tls: TLS options; `nil` (default) keeps what the string says (libpq's default: prefer).
    ///   - parameters: More libpq keywords (`target_session_attrs`, `options`, …); they win over the
    ///     string.
    /// - Returns: The options.
    public static func connectionString(
        _ string: String, tls: PostgresTLS? = nil, parameters: [String: String] = [:]
    ) -> PostgresConnectionOptions {
        var all = parameters
        all.merge(tls?.parameters ?? [:]) { _, tls in tls }
        return PostgresConnectionOptions(connectionString: string, parameters: all, password: nil)
    }

    /// Connects to `host:port` as `user`.
    ///
    /// - Parameters:
    ///   - host: A host name, an address, or the directory of a Unix socket; default `127.0.0.1`.
    ///   - port: The port; default 5432.
    ///   - database: The database.
    ///   - user: The role to log in as.
    ///   - password: Its password; `nil` to rely on `~/.pgpass`, `PGPASSWORD` or trust and peer
    ///     authentication.
    ///   - tls: TLS options; default ``PostgresTLS/prefer`` (libpq's default).
    ///   - parameters: More libpq keywords; they win over the ones above.
    public init(
        host: String = "127.0.0.1",
        port: Int = 5432,
        database: String,
        user: String,
        password: String? = nil,
        tls: PostgresTLS = .prefer,
        parameters: [String: String] = [:]
    ) {
        var all = ["host": host, "port": String(port), "dbname": database, "user": user]
        all.merge(tls.parameters) { _, tls in tls }
        all.merge(parameters) { _, given in given }
        self.init(connectionString: nil, parameters: all, password: password)
    }

    /// Where the sink connects (`host:port/database`), without user or password.
    public var description: String {
        PostgresConnection.describe(self)
    }
}
