import Dispatch
import Foundation
import Sluice

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What came back for one request: the response, at most `maxAnswerBytes` of the body, the error,
/// and where a refused redirect pointed.
package struct HTTPAnswer: Sendable {
    var response: URLResponse?
    var body = Data()
    var error: (any Error)?
    var redirect: URL?
}

/// One request in flight: filled in by the session's delegate, awaited by the transport.
package final class HTTPExchange: Sendable {
    let done = DispatchSemaphore(value: 0)
    private let state = LockedValue((answer: HTTPAnswer(), cutShort: false, finished: false))

    var answer: HTTPAnswer { state.withLock { $0.answer } }

    func update(_ body: (inout HTTPAnswer) -> Void) {
        state.withLock { body(&$0.answer) }
    }

    /// Appends body bytes up to `limit`; returns false once the limit is reached (the transfer is
    /// then cancelled and the cancellation is not an error).
    func append(_ data: Data, limit: Int) -> Bool {
        state.withLock { state in
            let room = limit - state.answer.body.count
            if room > 0 {
                state.answer.body.append(data.prefix(room))
            }
            if data.count >= room {
                state.cutShort = true
                return false
            }
            return true
        }
    }

    func complete(error: (any Error)?) {
        let first = state.withLock { state -> Bool in
            guard !state.finished else { return false }
            state.finished = true
            if !state.cutShort {
                state.answer.error = error
            }
            return true
        }
        if first {
            done.signal()
        }
    }
}

/// The session's delegate: refuses every redirect and reads at most `maxAnswerBytes` of an answer.
//
// @unchecked Sendable is safe: the only mutable state is `exchanges`, a LockedValue; `maxAnswerBytes`
// is immutable. (NSObject, which URLSession's delegate protocols require, is not Sendable itself.)
package final class HTTPExchanges: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let maxAnswerBytes: Int
    private let exchanges = LockedValue([Int: HTTPExchange]())

    init(maxAnswerBytes: Int) {
        self.maxAnswerBytes = maxAnswerBytes
    }

    func begin(_ task: URLSessionTask) -> HTTPExchange {
        let exchange = HTTPExchange()
        exchanges.withLock { $0[task.taskIdentifier] = exchange }
        return exchange
    }

    func end(_ task: URLSessionTask) {
        exchanges.withLock { $0[task.taskIdentifier] = nil }
    }

    private func exchange(_ task: URLSessionTask) -> HTTPExchange? {
        exchanges.withLock { $0[task.taskIdentifier] }
    }

    package func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        exchange(task)?.update { $0.redirect = request.url }
        // nil: the redirect itself is the final answer.
        completionHandler(nil)
    }

    package func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        exchange(dataTask)?.update { $0.response = response }
        completionHandler(.allow)
    }

    package func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let exchange = exchange(dataTask) else { return }
        if !exchange.append(data, limit: maxAnswerBytes) {
            dataTask.cancel()
        }
    }

    package func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let exchange = exchange(task) else { return }
        if exchange.answer.response == nil, let response = task.response {
            exchange.update { $0.response = response }
        }
        exchange.complete(error: error)
    }
}
