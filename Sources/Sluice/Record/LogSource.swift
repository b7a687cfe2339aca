/// Where a record was logged: file, function and line, as captured by the call site's defaults.
///
/// ```swift
/// log.info("hello")   // source.file == "MyApp/main.swift", source.line == the line of this call
/// ```
public struct LogSource: Sendable, Hashable, CustomStringConvertible {
    /// The file, as `#fileID` gives it (`Module/File.swift`).
    public var file: String
    /// The function, as `#function` gives it.
    public var function: String
    /// The line, as `#line` gives it.
    public var line: UInt

    /// Creates a source location.
    ///
    /// - Parameters:
    ///   - file: The file, usually `#fileID`.
    ///   - function: The function, usually `#function`.
    ///   - line: The line, usually `#line`.
    public init(file: String = #fileID, function: String = #function, line: UInt = #line) {
        self.file = file
        self.function = function
        self.line = line
    }

    /// `file:line`.
    public var description: String { "\(file):\(line)" }
}
