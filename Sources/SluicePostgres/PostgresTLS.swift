/// How a ``PostgresSink`` secures its connection: libpq's `sslmode` and certificate options,
/// passed through unchanged.
///
/// ```swift
/// let tls = PostgresTLS.verifyFull(rootCertificate: "/etc/ssl/certs/db-ca.pem")
/// let mutual = PostgresTLS.verifyFull(
///     rootCertificate: "/etc/ssl/certs/db-ca.pem", certificate: "/etc/myapp/client.pem", key: "/etc/myapp/client.key")
/// ```
///
/// `.prefer` (libpq's default) encrypts when the server offers it but accepts a plain connection and
/// does not check the certificate; use `.verifyFull` across any network you do not control.
public struct PostgresTLS: Sendable, Hashable, CustomStringConvertible {
    /// libpq's `sslmode` value.
    package let mode: String
    /// `sslrootcert`: the certificate authorities to trust.
    public var rootCertificate: String?
    /// `sslcert`: a client certificate.
    public var certificate: String?
    /// `sslkey`: the client certificate's key.
    public var key: String?

    private init(mode: String, rootCertificate: String? = nil, certificate: String? = nil, key: String? = nil) {
        self.mode = mode
        self.rootCertificate = rootCertificate
        self.certificate = certificate
        self.key = key
    }

    /// No TLS (`sslmode=disable`): only for a server on the same machine or a private network.
    public static let disable = PostgresTLS(mode: "disable")
    /// TLS when the server offers it, without checking its certificate (`sslmode=prefer`, libpq's
    /// default).
    public static let prefer = PostgresTLS(mode: "prefer")
    /// TLS required, the certificate not checked (`sslmode=require`).
    public static let require = PostgresTLS(mode: "require")

    /// TLS with the server's certificate checked against `rootCertificate` (`sslmode=verify-ca`).
    ///
    /// - Parameters:
    ///   - rootCertificate: A PEM file of trusted authorities; `nil` uses libpq's default
    ///     (`~/.postgresql/root.crt`).
    ///   - certificate: A client certificate (PEM), for servers that ask for one.
    ///   - key: The client certificate's key.
    /// - Returns: The options.
    public static func verifyCA(rootCertificate: String? = nil, certificate: String? = nil, key: String? = nil)
        -> PostgresTLS
    {
        PostgresTLS(mode: "verify-ca", rootCertificate: rootCertificate, certificate: certificate, key: key)
    }

    /// TLS with the certificate checked and matched against the host name (`sslmode=verify-full`).
    ///
    /// - Parameters:
    ///   - rootCertificate: A PEM file of trusted authorities; `nil` uses libpq's default.
    ///   - certificate: A client certificate (PEM), for servers that ask for one.
    ///   - key: The client certificate's key.
    /// - Returns: The options.
    public static func verifyFull(rootCertificate: String? = nil, certificate: String? = nil, key: String? = nil)
        -> PostgresTLS
    {
        PostgresTLS(mode: "verify-full", rootCertificate: rootCertificate, certificate: certificate, key: key)
    }

    /// The libpq keywords and values.
    package var parameters: [String: String] {
        var parameters = ["sslmode": mode]
        parameters["sslrootcert"] = rootCertificate
        parameters["sslcert"] = certificate
        parameters["sslkey"] = key
        return parameters
    }

    public var description: String { mode }
}
