// zlib from the system (Debian/Ubuntu: zlib1g-dev; Fedora/RHEL: zlib-devel; Alpine: zlib-dev).
// Sluice uses it to gzip rotated log files; SluiceHTTP to gzip request bodies.
#include <zlib.h>
