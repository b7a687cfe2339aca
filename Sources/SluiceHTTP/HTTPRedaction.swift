import Foundation

/// How an endpoint appears in sink names, errors, stats and metric labels: without the secrets a
/// URL can carry.
package enum HTTPRedaction {
    /// `url` with its user and password replaced by `***`, its query replaced by `***` (a query
    /// often carries a token, in a value or as a bare name) and no fragment:
    /// `https://***@logs.example.com/v1/logs?***`.
    package static func display(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            return display(url.absoluteString)
        }
        let hadUser = components.user != nil || components.password != nil
        let hadQuery = components.percentEncodedQuery != nil
        components.user = nil
        components.password = nil
        components.fragment = nil
        components.percentEncodedQuery = nil
        var text = components.string ?? display(url.absoluteString)
        if hadUser, let range = text.range(of: "://") {
            text.insert(contentsOf: "***@", at: range.upperBound)
        }
        if hadQuery {
            text += "?***"
        }
        return text
    }

    /// A URL as the user typed it (perhaps not a valid URL): everything between `://` and the
    /// last `@` of the authority, and everything after `?` or `#`, is replaced by `***`.
    package static func display(_ text: String) -> String {
        var text = text
        if let hash = text.firstIndex(of: "#") {
            text = String(text[..<hash])
        }
        if let question = text.firstIndex(of: "?") {
            text = String(text[...question]) + "***"
        }
        if let scheme = text.range(of: "://") {
            let authorityEnd = text[scheme.upperBound...].firstIndex(of: "/") ?? text.endIndex
            if let at = text[scheme.upperBound..<authorityEnd].lastIndex(of: "@") {
                text.replaceSubrange(scheme.upperBound...at, with: "***@")
            }
        }
        return text
    }
}
