import Foundation
import Sluice

/// Entry points for the fuzz targets in `Fuzz/` into parsers without public API: `Retry-After`
/// and the URL redaction used in names and errors. See `SluiceFuzzing` in Sluice for why they are
/// SPI rather than public.
@_spi(Fuzzing) public enum SluiceHTTPFuzzing: Sendable {
    /// The wait a `Retry-After` value asks for, relative to `now`.
    public static func retryAfter(_ value: String, now: Date) -> Duration? {
        RetryAfter.parse(value, now: now)
    }

    /// A URL as sink names and errors show it (credentials and query values replaced).
    public static func redacted(_ url: String) -> String {
        URL(string: url).map(HTTPRedaction.display) ?? HTTPRedaction.display(url)
    }
}
