/// What the pipeline hides before any sink sees a record: metadata values under secret-sounding keys,
/// and optionally secrets found by ``RedactionPattern``s inside string values and messages. What is
/// hidden is replaced by ``marker``.
///
/// Keys match by name at any depth of nested metadata, ignoring ASCII case and treating `-` and `_`
/// alike (`Set-Cookie`, `set_cookie` and `SET-COOKIE` are one key). The value under a matching key is
/// replaced whole, whatever its type, nested dictionaries included. ``Redaction/default`` redacts
/// ``defaultKeys`` and no patterns; it is what a pipeline uses unless told otherwise.
///
/// ```swift
/// // The defaults plus two keys of your own, and card numbers and e-mail addresses anywhere:
/// let redaction = Redaction.default
///     .addingKeys(["ssn", "x-session"])
///     .addingPatterns([.cardNumbers, .emailAddresses], inMessages: true)
///
/// // Only your own keys:
/// let mine = Redaction(keys: ["secret_sauce"])
/// ```
///
/// - Important: Redaction runs on the pipeline's collector thread, once per record, before
///   transformers' output is batched and before any sink, so no sink (file, console, network or
///   your own) and no format ever sees a redacted value. Records with nothing to redact are only
///   read; a record that needs redacting is rewritten once into pipeline memory.
public struct Redaction: Sendable {
    /// Keys redacted by ``Redaction/default``.
    public static let defaultKeys: [String] = [
        "password", "passwd", "pwd", "passphrase", "secret", "client_secret", "secret_key", "private_key",
        "token", "access_token", "refresh_token", "id_token", "auth_token", "api_key", "apikey", "x-api-key",
        "authorization", "proxy-authorization", "cookie", "set-cookie", "session_id", "sessionid", "credentials",
        "aws_secret_access_key", "jwt", "cvv", "card_number",
    ]

    /// The marker a pipeline uses unless told otherwise.
    public static let defaultMarker = "[REDACTED]"

    /// Keys whose values are replaced, as given (matching ignores case and treats `-` and `_` alike).
    public var keys: Set<String>
    /// Patterns searched for in string values (at any depth) and, with ``redactsMessages``, in
    /// messages.
    public var patterns: [RedactionPattern]
    /// Whether ``patterns`` also apply to the message text.
    public var redactsMessages: Bool
    /// What replaces a redacted value or match; default `"[REDACTED]"`.
    public var marker: String

    /// Creates a redaction.
    ///
    /// ```swift
    /// let redaction = Redaction(keys: Redaction.defaultKeys + ["ssn"], patterns: [.bearerTokens])
    /// ```
    ///
    /// - Parameters:
    ///   - keys: Keys whose values are replaced; default ``defaultKeys``.
    ///   - patterns: Secrets to find inside string values; default none.
    ///   - redactsMessages: Whether `patterns` apply to messages too; default `false`.
    ///   - marker: What replaces each redacted value or match; default `"[REDACTED]"`.
    public init(
        keys: some Sequence<String> = Redaction.defaultKeys,
        patterns: [RedactionPattern] = [],
        redactsMessages: Bool = false,
        marker: String = Redaction.defaultMarker
    ) {
        self.keys = Set(keys)
        self.patterns = patterns
        self.redactsMessages = redactsMessages
        self.marker = marker
    }

    /// ``defaultKeys``, no patterns: what a pipeline does unless configured otherwise.
    public static var `default`: Redaction { Redaction() }

    /// Redacts nothing.
    public static var none: Redaction { Redaction(keys: []) }

    /// Whether this redaction can change anything.
    public var isEnabled: Bool { !keys.isEmpty || !patterns.isEmpty }

    /// This redaction with `keys` added.
    ///
    /// ```swift
    /// let redaction = Redaction.default.addingKeys(["ssn"])
    /// ```
    ///
    /// - Parameter keys: More keys to redact.
    /// - Returns: The extended redaction.
    public func addingKeys(_ keys: some Sequence<String>) -> Redaction {
        var copy = self
        copy.keys.formUnion(keys)
        return copy
    }

    /// This redaction without `keys` (compared as the matching does: ignoring case, `-` as `_`).
    ///
    /// ```swift
    /// let redaction = Redaction.default.removingKeys(["session_id"])
    /// ```
    ///
    /// - Parameter keys: Keys to stop redacting.
    /// - Returns: The reduced redaction.
    public func removingKeys(_ keys: some Sequence<String>) -> Redaction {
        let removed = Set(keys.map(RedactionKeys.normalized))
        var copy = self
        copy.keys = copy.keys.filter { !removed.contains(RedactionKeys.normalized($0)) }
        return copy
    }

    /// This redaction with `patterns` added.
    ///
    /// ```swift
    /// let redaction = Redaction.default.addingPatterns(RedactionPattern.builtIn, inMessages: true)
    /// ```
    ///
    /// - Parameters:
    ///   - patterns: Patterns to search string values for.
    ///   - inMessages: Whether patterns also apply to messages from now on; `nil` leaves
    ///     ``redactsMessages`` as it is.
    /// - Returns: The extended redaction.
    public func addingPatterns(_ patterns: [RedactionPattern], inMessages: Bool? = nil) -> Redaction {
        var copy = self
        copy.patterns += patterns
        if let inMessages {
            copy.redactsMessages = inMessages
        }
        return copy
    }
}
