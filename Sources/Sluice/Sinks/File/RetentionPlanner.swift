/// Decides which archives to delete and which to compress, from a directory listing: a pure function
/// tested without files.
///
/// Only names that ``ArchiveNaming/parse(_:)`` accepts are ever considered, so nothing else in the
/// directory (other sinks' files, the live file, anything an operator put there) can be deleted.
package enum RetentionPlanner {
    package struct Entry: Sendable, Hashable {
        package var name: String
        package var size: Int64

        package init(name: String, size: Int64) {
            self.name = name
            self.size = size
        }
    }

    package struct Plan: Equatable {
        /// Archives (all their forms) that retention removes, oldest first.
        package var delete: [String] = []
        /// Leftovers: uncompressed copies of archives whose `.gz` is complete, stale `.gz.tmp` files.
        package var cleanUp: [String] = []
        /// Uncompressed archives to compress, oldest first.
        package var compress: [String] = []
    }

    private struct Archive {
        var time: LogTimestamp
        var plain: Int64?
        var gzip: Int64?
        var temporary = false

        var size: Int64 { gzip ?? plain ?? 0 }
    }

    /// - Parameters:
    ///   - entries: Regular files in the directory with their sizes.
    ///   - naming: The sink's naming scheme.
    ///   - retention: What to keep.
    ///   - compress: Whether archives should be gzipped.
    ///   - now: The current time, for age limits.
    package static func plan(
        entries: [Entry],
        naming: ArchiveNaming,
        retention: RetentionPolicy,
        compress: Bool,
        now: LogTimestamp
    ) -> Plan {
        var archives: [LogTimestamp: Archive] = [:]
        for entry in entries {
            guard entry.name != naming.liveName, let (time, kind) = naming.parse(entry.name) else { continue }
            var archive = archives[time] ?? Archive(time: time)
            switch kind {
            case .plain: archive.plain = entry.size
            case .gzip: archive.gzip = entry.size
            case .gzipTemporary: archive.temporary = true
            }
            archives[time] = archive
        }
        let newestFirst = archives.values.sorted { $0.time > $1.time }
        let oldestAllowed = retention.maxAge.map { age in
            LogTimestamp(nanosecondsSinceEpoch: now.nanosecondsSinceEpoch.saturatingSubtract(age.clampedNanoseconds))
        }

        var plan = Plan()
        var keptBytes: Int64 = 0
        for (index, archive) in newestFirst.enumerated() {
            var remove = false
            if let maxFiles = retention.maxFiles, index >= maxFiles {
                remove = true
            }
            if let oldestAllowed, archive.time < oldestAllowed {
                remove = true
            }
            if let maxBytes = retention.maxBytes {
                keptBytes = keptBytes.saturatingAdd(archive.size)
                if keptBytes > maxBytes {
                    remove = true
                }
            }
            let forms = [
                archive.plain.map { _ in naming.name(at: archive.time, kind: .plain) },
                archive.gzip.map { _ in naming.name(at: archive.time, kind: .gzip) },
                archive.temporary ? naming.name(at: archive.time, kind: .gzipTemporary) : nil,
            ].compactMap { $0 }
            if remove {
                plan.delete.append(contentsOf: forms)
                continue
            }
            if archive.temporary {
                plan.cleanUp.append(naming.name(at: archive.time, kind: .gzipTemporary))
            }
            if archive.plain != nil && archive.gzip != nil {
                // The .gz is only ever renamed into place once complete: the plain copy is redundant.
                plan.cleanUp.append(naming.name(at: archive.time, kind: .plain))
            } else if archive.plain != nil && compress {
                plan.compress.append(naming.name(at: archive.time, kind: .plain))
            }
        }
        plan.delete.reverse()
        plan.compress.reverse()
        return plan
    }
}
