// zlib from the system (Debian/Ubuntu: zlib1g-dev; Fedora/RHEL: zlib-devel; Alpine: zlib-dev).
// Sluice uses it only to gzip rotated log files.
#include <zlib.h>
