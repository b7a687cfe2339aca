import Dispatch
import Foundation
import Sluice

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// POSTs payloads with `URLSession` (libcurl on Linux, so `https` works), blocking the
/// `DeliveryEngine`'s thread until the answer or the timeout. URLSession's own callbacks run on
/// its delegate queue; nothing here touches Swift's cooperative pool.
///
/// Redirects are never followed: FoundationNetworking would resend a 302/303 as a bodiless GET
/// (whose 2xx would count the batch as written) and would carry `Authorization` to whatever host
/// the `Location` names, https to http included. A 3xx answer is a failure that names the target.
/// At most ``maxAnswerBytes`` of an answer are read (and decompressed); the rest is not downloaded.
package final class HTTPTransport: DeliveryTransport {
    /// The most bytes of an answer's body that are read; only the start of an error answer is shown.
    package static let maxAnswerBytes = 64 * 1024

    private let url: URL
    private let displayURL: String
    private let headers: [(String, String)]
    private let contentType: String
    private let timeout: Duration
    private let session: URLSession
    private let exchanges: HTTPExchanges
    private var lastSucceeded = false

    package init(url: URL, headers: [(String, String)], contentType: String, timeout: Duration) {
        self.url = url
        displayURL = HTTPRedaction.display(url)
        self.headers = headers
        self.contentType = contentType
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Self.seconds(timeout)
        configuration.httpMaximumConnectionsPerHost = 1
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        exchanges = HTTPExchanges(maxAnswerBytes: Self.maxAnswerBytes)
        session = URLSession(configuration: configuration, delegate: exchanges, delegateQueue: nil)
    }

    package var isConnected: Bool { lastSucceeded }

    package func close() {
        session.finishTasksAndInvalidate()
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    package func deliver(_ payload: DeliveryPayload) -> Result<Void, DeliveryFailure> {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.timeoutInterval = Self.seconds(timeout)
        for (name, value) in headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        // Only a body that really was compressed says so (zlib can fail; the body then goes plain).
        if let encoding = payload.contentEncoding {
            request.setValue(encoding, forHTTPHeaderField: "Content-Encoding")
        }
        // No completion handler: the session's delegate sees redirects and the body as it arrives.
        let task = session.uploadTask(with: request, from: Data(payload.bytes))
        let exchange = exchanges.begin(task)
        task.resume()
        // URLSession enforces the timeout; the margin only guards against a callback that never comes.
        guard exchange.done.wait(timeout: .now() + Self.seconds(timeout) + 5) == .success else {
            task.cancel()
            exchanges.end(task)
            lastSucceeded = false
            return .failure(DeliveryFailure(.timeout, "\(displayURL): no answer within \(timeout)"))
        }
        exchanges.end(task)
        let answer = exchange.answer
        let result = Self.classify(
            url: url, data: answer.body, response: answer.response, error: answer.error, timeout: timeout,
            redirect: answer.redirect)
        lastSucceeded = (try? result.get()) != nil
        return result
    }

    /// Turns an answer into success or a failure class: 2xx delivered; 429 and 5xx (and 408)
    /// retried, honouring `Retry-After`; redirects and other statuses refused; transport errors
    /// retried.
    package static func classify(
        url: URL, data: Data?, response: URLResponse?, error: (any Error)?, timeout: Duration, redirect: URL? = nil
    ) -> Result<Void, DeliveryFailure> {
        let shown = HTTPRedaction.display(url)
        if let error {
            if let urlError = error as? URLError, urlError.code == .timedOut {
                return .failure(DeliveryFailure(.timeout, "\(shown): no answer within \(timeout)"))
            }
            return .failure(DeliveryFailure(.connection, "\(shown): \(Self.describe(error))"))
        }
        guard let http = response as? HTTPURLResponse else {
            return .failure(DeliveryFailure(.other, "\(shown): the answer is not HTTP"))
        }
        let status = http.statusCode
        if (200..<300).contains(status) {
            return .success(())
        }
        let retryAfter = http.value(forHTTPHeaderField: "Retry-After").flatMap { RetryAfter.parse($0, now: Date()) }
        var text = "\(shown): HTTP \(status)"
        if let data, !data.isEmpty {
            // The receiver's words, escaped onto one line: no control, C1 or bidi character of an
            // answer reaches a terminal or a log raw.
            var snippet = LogOutput(capacity: 512)
            snippet.appendEscaped(String(decoding: data.prefix(300), as: UTF8.self), .text)
            text += ": \(snippet.string)"
        }
        if (300..<400).contains(status) {
            let target =
                redirect.map(HTTPRedaction.display)
                ?? http.value(forHTTPHeaderField: "Location").map { location in
                    var escaped = LogOutput(capacity: 256)
                    escaped.appendEscaped(String(location.prefix(300)), .text)
                    return escaped.string
                } ?? "an unnamed location"
            return .failure(
                DeliveryFailure(
                    .rejected,
                    "\(shown): HTTP \(status) redirects to \(target); Sluice does not follow redirects (the batch would be lost and credentials sent on), so configure the final URL"
                ))
        }
        switch status {
        case 429:
            return .failure(DeliveryFailure(.throttled, text, retryAfter: retryAfter))
        case 408, 500..<600:
            return .failure(DeliveryFailure(.serverError, text, retryAfter: retryAfter))
        default:
            let hint: String
            switch status {
            case 401, 403: hint = "; check the credentials in the sink's headers"
            case 404: hint = "; check the URL's path"
            case 413: hint = "; lower the sink's maxBatchBytes"
            default: hint = ""
            }
            return .failure(DeliveryFailure(.rejected, text + hint))
        }
    }

    private static func describe(_ error: any Error) -> String {
        guard let urlError = error as? URLError else { return "\(error)" }
        switch urlError.code {
        case .cannotConnectToHost: return "cannot connect (connection refused)"
        case .cannotFindHost, .dnsLookupFailed: return "cannot resolve the host"
        case .networkConnectionLost: return "the connection was lost"
        case .notConnectedToInternet: return "no network"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
            .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
            return "TLS failed (\(urlError.code.rawValue)); check the certificate"
        default: return "URL error \(urlError.code.rawValue)"
        }
    }
}

/// `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
package enum RetryAfter {
    package static func parse(_ value: String, now: Date) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(trimmed) {
            return seconds >= 0 ? .seconds(seconds) : nil
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        let interval = date.timeIntervalSince(now)
        // A date centuries ahead must not trap the conversion; a day is as good as forever here.
        return interval > 0 ? .milliseconds(Int64(min(interval, 1e12) * 1000)) : .zero
    }
}
