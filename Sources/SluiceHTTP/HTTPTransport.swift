import Dispatch
import Foundation
import Sluice

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// POSTs payloads with `URLSession` (libcurl on Linux, so `https` works), blocking the
/// `DeliveryEngine`'s thread until the answer or the timeout. URLSession's own callbacks run on
/// its delegate queue; nothing here touches Swift's cooperative pool.
package final class HTTPTransport: DeliveryTransport {
    private let url: URL
    private let headers: [(String, String)]
    private let contentType: String
    private let gzip: Bool
    private let timeout: Duration
    private let session: URLSession
    private var lastSucceeded = false

    package init(url: URL, headers: [(String, String)], contentType: String, gzip: Bool, timeout: Duration) {
        self.url = url
        self.headers = headers
        self.contentType = contentType
        self.gzip = gzip
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Self.seconds(timeout)
        configuration.httpMaximumConnectionsPerHost = 1
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    package var isConnected: Bool { lastSucceeded }

    package func close() {
        session.finishTasksAndInvalidate()
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    private final class Answer: Sendable {
        let value = LockedValue<(Data?, URLResponse?, (any Error)?)?>(nil)
        let done = DispatchSemaphore(value: 0)
    }

    package func deliver(_ payload: DeliveryPayload) -> Result<Void, DeliveryFailure> {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.timeoutInterval = Self.seconds(timeout)
        for (name, value) in headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        if gzip {
            request.setValue("gzip", forHTTPHeaderField: "Content-Encoding")
        }
        let answer = Answer()
        let task = session.uploadTask(with: request, from: Data(payload.bytes)) { data, response, error in
            answer.value.withLock { $0 = (data, response, error) }
            answer.done.signal()
        }
        task.resume()
        // URLSession enforces the timeout; the margin only guards against a callback that never comes.
        if answer.done.wait(timeout: .now() + Self.seconds(timeout) + 5) == .timedOut {
            task.cancel()
            lastSucceeded = false
            return .failure(DeliveryFailure(.timeout, "\(url): no answer within \(timeout)"))
        }
        let (data, response, error) = answer.value.withLock { $0 } ?? (nil, nil, nil)
        let result = Self.classify(url: url, data: data, response: response, error: error, timeout: timeout)
        lastSucceeded = (try? result.get()) != nil
        return result
    }

    /// Turns an answer into success or a failure class: 2xx delivered; 429 and 5xx (and 408)
    /// retried, honouring `Retry-After`; other statuses refused; transport errors retried.
    package static func classify(
        url: URL, data: Data?, response: URLResponse?, error: (any Error)?, timeout: Duration
    ) -> Result<Void, DeliveryFailure> {
        if let error {
            if let urlError = error as? URLError, urlError.code == .timedOut {
                return .failure(DeliveryFailure(.timeout, "\(url): no answer within \(timeout)"))
            }
            return .failure(DeliveryFailure(.connection, "\(url): \(Self.describe(error))"))
        }
        guard let http = response as? HTTPURLResponse else {
            return .failure(DeliveryFailure(.other, "\(url): the answer is not HTTP"))
        }
        let status = http.statusCode
        if (200..<300).contains(status) {
            return .success(())
        }
        let retryAfter = http.value(forHTTPHeaderField: "Retry-After").flatMap { RetryAfter.parse($0, now: Date()) }
        var text = "\(url): HTTP \(status)"
        if let data, !data.isEmpty {
            let snippet = String(decoding: data.prefix(300), as: UTF8.self)
                .replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
            text += ": \(snippet)"
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
