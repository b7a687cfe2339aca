/// The version of Sluice this program was built with, following semantic versioning: the same as
/// the newest release in `CHANGELOG.md`.
///
/// ```swift
/// log.info("starting", metadata: ["sluice": "\(SluiceVersion.current)"])
/// ```
public enum SluiceVersion: Sendable {
    /// The version as text, such as `"0.2.0"`.
    public static let current = "\(major).\(minor).\(patch)"
    /// Incompatible API changes bump it (before 1.0, `minor` does).
    public static let major = 0
    /// Features added compatibly bump it (before 1.0, incompatible changes too).
    public static let minor = 2
    /// Compatible fixes bump it.
    public static let patch = 0
}
