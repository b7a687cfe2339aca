// The sluice-bench workload through spdlog, so the comparison is measured in the same run.
// Built and run by Benchmarks/run.sh; prints nothing, writes one JSON result like sluice-bench's
// children do.
//
//   spdlog_bench --mode async|sync --scenario S1|S2 --records N --producers N --file PATH --result PATH [--timed]

#include <spdlog/async.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <sys/resource.h>
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

uint64_t monotonic_ns() {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return uint64_t(t.tv_sec) * 1000000000ull + uint64_t(t.tv_nsec);
}

// The same log-linear histogram as sluice-bench: exact below 1,024 ns, then 64 buckets per power of two.
struct Histogram {
    std::vector<uint64_t> counts = std::vector<uint64_t>(1024 + 64 * 54, 0);
    uint64_t total = 0;

    static size_t bucket(uint64_t v) {
        if (v < 1024) return size_t(v);
        int exponent = 63 - __builtin_clzll(v);
        size_t fraction = size_t((v >> (exponent - 6)) & 63);
        size_t index = 1024 + size_t(exponent - 10) * 64 + fraction;
        return index < counts_size() ? index : counts_size() - 1;
    }
    static size_t counts_size() { return 1024 + 64 * 54; }
    static double lower_bound(size_t b) {
        if (b < 1024) return double(b);
        size_t exponent = (b - 1024) / 64 + 10;
        size_t fraction = (b - 1024) % 64;
        return double(uint64_t(64 + fraction) << (exponent - 6));
    }
    void record(uint64_t v) { counts[bucket(v)] += 1; total += 1; }
    void merge(const Histogram& other) {
        for (size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
        total += other.total;
    }
    double percentile(double q) const {
        if (total == 0) return 0;
        uint64_t rank = uint64_t(double(total) * q + 0.999999);
        uint64_t seen = 0;
        for (size_t i = 0; i < counts.size(); ++i) {
            seen += counts[i];
            if (counts[i] && seen >= rank) return lower_bound(i);
        }
        return lower_bound(counts.size() - 1);
    }
};

void produce(spdlog::logger& logger, uint64_t producer, long count, Histogram* histogram) {
    for (long i = 0; i < count; ++i) {
        uint64_t id = producer << 40 | uint64_t(i);
        uint64_t start = histogram ? monotonic_ns() : 0;
        logger.info("request handled request_id={:016x} status={} path={}", id, 200, "/api/v1/items");
        if (histogram) histogram->record(monotonic_ns() - start);
    }
}

// S5: log `rate` records per second for `seconds`, in a burst every millisecond, timing batches of
// eight calls (as sluice-bench does). Returns the records logged.
long paced(spdlog::logger& logger, uint64_t producer, double rate, double seconds, Histogram& histogram) {
    uint64_t start = monotonic_ns();
    uint64_t end = start + uint64_t(seconds * 1e9);
    long logged = 0;
    uint64_t now = start;
    while (now < end) {
        long due = long(double(now - start) * rate / 1e9);
        while (logged + 8 <= due) {
            uint64_t batch = monotonic_ns();
            for (int k = 0; k < 8; ++k) {
                uint64_t id = producer << 40 | uint64_t(logged + k);
                logger.info("request handled request_id={:016x} status={} path={}", id, 200, "/api/v1/items");
            }
            histogram.record((monotonic_ns() - batch) / 8);
            logged += 8;
        }
        uint64_t next = start + ((now - start) / 1000000 + 1) * 1000000;
        now = monotonic_ns();
        if (next > now) {
            timespec pause{0, long(next - now)};
            nanosleep(&pause, nullptr);
        }
        now = monotonic_ns();
    }
    return logged;
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = "async", scenario = "S1", file, result;
    long records = 1000000, producers = 1;
    bool timed = false;
    double rate = 0, seconds_to_run = 0;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() { return std::string(i + 1 < argc ? argv[++i] : ""); };
        if (a == "--mode") mode = next();
        else if (a == "--scenario") scenario = next();
        else if (a == "--records") records = std::stol(next());
        else if (a == "--producers") producers = std::stol(next());
        else if (a == "--file") file = next();
        else if (a == "--result") result = next();
        else if (a == "--timed") timed = true;
        else if (a == "--rate") rate = std::stod(next());
        else if (a == "--seconds") seconds_to_run = std::stod(next());
        else { std::fprintf(stderr, "unknown option %s\n", a.c_str()); return 2; }
    }
    std::remove(file.c_str());

    std::shared_ptr<spdlog::logger> logger;
    if (mode == "async") {
        spdlog::init_thread_pool(8192, 1);
        logger = spdlog::create_async<spdlog::sinks::basic_file_sink_mt>("bench", file, true);  // block on overflow
    } else {
        logger = spdlog::basic_logger_mt("bench", file, true);
    }
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %n: %v", spdlog::pattern_time_type::utc);

    if (scenario == "S5") timed = true;
    std::vector<Histogram> histograms(timed ? size_t(producers) : 0);
    std::vector<long> logged(size_t(producers), records);
    uint64_t start = monotonic_ns();
    if (scenario == "S5") {
        std::vector<std::thread> threads;
        for (long p = 0; p < producers; ++p) {
            threads.emplace_back([&, p] {
                logged[size_t(p)] = paced(*logger, uint64_t(p), rate / double(producers), seconds_to_run, histograms[size_t(p)]);
            });
        }
        for (auto& t : threads) t.join();
    } else if (producers == 1) {
        produce(*logger, 0, records, timed ? &histograms[0] : nullptr);
    } else {
        std::vector<std::thread> threads;
        for (long p = 0; p < producers; ++p) {
            threads.emplace_back([&, p] { produce(*logger, uint64_t(p), records, timed ? &histograms[size_t(p)] : nullptr); });
        }
        for (auto& t : threads) t.join();
    }
    logger->flush();
    logger.reset();
    spdlog::shutdown();  // drains the async queue and joins its thread
    double seconds = double(monotonic_ns() - start) / 1e9;

    // VmHWM, not ru_maxrss: Linux carries ru_maxrss across execve from the (large) parent.
    long peak_kb = 0;
    {
        std::ifstream status("/proc/self/status");
        std::string line;
        while (std::getline(status, line)) {
            if (line.rfind("VmHWM:", 0) == 0) peak_kb = std::stol(line.substr(6));
        }
    }
    long total = 0;
    for (long n : logged) total += n;
    std::ofstream out(result);
    out << "{\"system\":\"spdlog-" << mode << "\",\"scenario\":\"" << scenario << "\",\"policy\":\"-\""
        << ",\"records\":" << total << ",\"seconds\":" << seconds << ",\"written\":" << total << ",\"dropped\":0"
        << ",\"peakResidentBytes\":" << peak_kb * 1024;
    if (timed) {
        Histogram merged;
        for (auto& h : histograms) merged.merge(h);
        uint64_t clock_start = monotonic_ns();
        for (int i = 0; i < 100000; ++i) (void)monotonic_ns();
        double clock_cost = double(monotonic_ns() - clock_start) / 100000.0;
        out << ",\"p50\":" << merged.percentile(0.5) << ",\"p99\":" << merged.percentile(0.99)
            << ",\"p999\":" << merged.percentile(0.999) << ",\"clockCost\":" << clock_cost;
    }
    out << "}\n";
    return 0;
}
