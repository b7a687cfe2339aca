/// A kind of secret ``Redaction`` finds inside text: the built-in finders (bearer tokens, card
/// numbers, e-mail addresses, AWS access keys) or your own regular expression or function.
///
/// Built-in patterns are hand-written scanners over bytes: one pass, linear time on any input, no
/// allocation. Regular expressions and functions run Swift code per string value, so they cost
/// more; use them for what the built-ins do not cover.
///
/// ```swift
/// let redaction = Redaction.default.addingPatterns([
///     .bearerTokens, .cardNumbers,
///     try .regex(#"\bEMP-[0-9]{6}\b"#, name: "employee ids"),
/// ])
/// ```
public struct RedactionPattern: Sendable, CustomStringConvertible {
    package enum Kind: Sendable {
        case bearerTokens
        case cardNumbers
        case emailAddresses
        case awsAccessKeys
        case regex(String)
        case custom(@Sendable (String) -> [Range<String.Index>])
    }

    package let kind: Kind
    /// A name for documentation and error messages.
    public let name: String

    private init(_ kind: Kind, name: String) {
        self.kind = kind
        self.name = name
    }

    public var description: String { name }

    /// The token after `Bearer ` (any case): at least 8 `b64token` characters that are not a plain
    /// word. `Authorization: Bearer eyJhbGci…` becomes `Authorization: Bearer [REDACTED]`.
    public static let bearerTokens = RedactionPattern(.bearerTokens, name: "bearer tokens")

    /// Payment card numbers: 13 to 19 digits, optionally grouped with single spaces or dashes, that
    /// pass the Luhn check and do not start with 0. Digits glued to letters, and runs of more than 19
    /// digits without separators (identifiers), are left alone.
    public static let cardNumbers = RedactionPattern(.cardNumbers, name: "card numbers")

    /// E-mail addresses: `local@domain.tld`, ASCII, with at least two domain labels and a top-level
    /// label of two or more letters.
    public static let emailAddresses = RedactionPattern(.emailAddresses, name: "e-mail addresses")

    /// AWS access key ids: `AKIA`, `ASIA` (and the other documented prefixes) followed by 16
    /// upper-case letters or digits. Secret access keys have no recognisable shape; redact them by
    /// key (`aws_secret_access_key` is among ``Redaction/defaultKeys``).
    public static let awsAccessKeys = RedactionPattern(.awsAccessKeys, name: "AWS access keys")

    /// The four built-in patterns.
    public static var builtIn: [RedactionPattern] {
        [.bearerTokens, .cardNumbers, .emailAddresses, .awsAccessKeys]
    }

    /// A Swift regular expression; every match is replaced.
    ///
    /// ```swift
    /// let employeeIDs = try RedactionPattern.regex(#"\bEMP-[0-9]{6}\b"#, name: "employee ids")
    /// ```
    ///
    /// - Parameters:
    ///   - pattern: The expression, in Swift `Regex` syntax.
    ///   - name: A name for messages; default the pattern itself.
    /// - Returns: The pattern.
    /// - Throws: ``SluiceError`` (``SluiceError/Code/invalidConfiguration``) when `pattern` does not
    ///   compile, with the compiler's explanation.
    public static func regex(_ pattern: String, name: String? = nil) throws(SluiceError) -> RedactionPattern {
        do {
            _ = try Regex(pattern)
        } catch {
            throw SluiceError(
                .invalidConfiguration,
                "redaction pattern \(name.map { "'\($0)' " } ?? "")/\(pattern)/ is not a valid regular expression: \(error)"
            )
        }
        return RedactionPattern(.regex(pattern), name: name ?? "/\(pattern)/")
    }

    /// Your own finder: given a string value (or message), return the ranges to replace.
    ///
    /// ```swift
    /// let internalHosts = RedactionPattern.custom(name: "internal hosts") { text in
    ///     text.ranges(of: ".corp.internal").map { text.startIndex..<$0.upperBound }
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - name: A name for messages.
    ///   - find: Returns the ranges of `text` to replace; overlapping ranges are merged, ranges
    ///     outside `text` ignored. Runs on the pipeline's collector thread; it must not block.
    /// - Returns: The pattern.
    public static func custom(
        name: String,
        _ find: @escaping @Sendable (_ text: String) -> [Range<String.Index>]
    ) -> RedactionPattern {
        RedactionPattern(.custom(find), name: name)
    }
}
