// [database] connection URLs as operators write them, turned into libpq's
// keyword form.
#include <boost/test/unit_test.hpp>

#include "glance/db/database_url.h"

using namespace glance;

namespace {

std::string Convert(const std::string& url) {
  std::string libpq;
  Status s = ToLibpqConnectionString(url, &libpq);
  return s.ok() ? libpq : "error: " + s.message();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(database_url)

BOOST_AUTO_TEST_CASE(url_without_query_keeps_the_database_name) {
  BOOST_TEST(Convert("postgresql://glance:secret@127.0.0.1:5432/glance") ==
             "host=127.0.0.1 port=5432 user=glance password=secret dbname=glance");
}

BOOST_AUTO_TEST_CASE(unix_socket_in_the_query_and_driver_suffix) {
  BOOST_TEST(Convert("postgresql+psycopg2://glance@/glance?host=/run/postgresql&port=5433") ==
             "host=/run/postgresql port=5433 user=glance dbname=glance");
}

BOOST_AUTO_TEST_CASE(escapes_are_decoded_and_quoted_for_libpq) {
  BOOST_TEST(Convert("postgresql://u:p%40ss%20w'd@db.example:6432/g") ==
             "host=db.example port=6432 user=u password='p@ss w\\'d' dbname=g");
  BOOST_TEST(Convert("postgresql://u:a@b@host/db") == "host=host user=u password=a@b dbname=db");
  BOOST_TEST(Convert("postgresql://[::1]:5432/db") == "host=::1 port=5432 dbname=db");
}

BOOST_AUTO_TEST_CASE(libpq_reads_the_query_and_the_host_list) {
  BOOST_TEST(Convert("postgresql://u@h/db?application_name=a@b") ==
             "host=h user=u dbname=db application_name=a@b");
  BOOST_TEST(Convert("postgresql://u@h1:5432,h2:5433/db") ==
             "host=h1,h2 port=5432,5433 user=u dbname=db");
}

BOOST_AUTO_TEST_CASE(bad_urls_are_refused_without_echoing_them) {
  BOOST_TEST(Convert("mysql://u:pw@h/db").find("error: ") == 0);
  BOOST_TEST(Convert("glance").find("error: ") == 0);
  std::string port = Convert("postgresql://u:topsecret@h:port/db");
  BOOST_TEST(port.find("error: ") == 0);
  BOOST_TEST(port.find("topsecret") == std::string::npos);
  BOOST_TEST(Convert("postgresql://u@h/db?sslmode").find("error: ") == 0);
  BOOST_TEST(Convert("postgresql://u@h/db%zz").find("error: ") == 0);
  std::string unknown = Convert("postgresql://u:topsecret@h/db?no_such_keyword=1");
  BOOST_TEST(unknown.find("error: ") == 0);
  BOOST_TEST(unknown.find("topsecret") == std::string::npos);
  BOOST_TEST(Convert("postgresql://u:topsecret@[::1/db").find("topsecret") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
