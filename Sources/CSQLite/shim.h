// SQLite from the system (Debian/Ubuntu: libsqlite3-dev; Fedora/RHEL: sqlite-devel; Alpine: sqlite-dev).
// Only the SluiceSQLite product links it.
#include <sqlite3.h>
