// libpq, PostgreSQL's client library, from the system (Debian/Ubuntu: libpq-dev; Fedora/RHEL:
// libpq-devel; Alpine: libpq-dev). Only the SluicePostgres product links it. Debian puts the header
// in /usr/include/postgresql, other systems directly in the include path.
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif
