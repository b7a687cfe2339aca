import Foundation

/// How an endpoint appears in sink names, errors, stats and metric labels: without the secrets a
/// URL can carry.
package enum HTTPRedaction {
    /// `url` with its user and password replaced by `***`, every query value replaced by `***` (the
    /// names stay) and no fragment: `https://***@logs.example.com/v1/logs?api_key=***`.
    package static func display(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            return display(url.absoluteString)
        }
        let hadUser = components.user != nil || components.password != nil
        components.user = nil
        components.password = nil
        components.fragment = nil
        if let items = components.queryItems, !items.isEmpty {
            components.percentEncodedQuery = items.map { item in
                let name = item.name.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "_"
                return item.value == nil ? name : "\(name)=***"
            }.joined(separator: "&")
        }
        var text = components.string ?? display(url.absoluteString)
        if hadUser, let range = text.range(of: "://") {
            text.insert(contentsOf: "***@", at: range.upperBound)
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
