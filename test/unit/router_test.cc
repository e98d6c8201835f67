#include "glance/common/router.h"

#include <boost/test/unit_test.hpp>

using namespace glance;
using Kind = Router<int>::Match::Kind;

BOOST_AUTO_TEST_SUITE(router)

BOOST_AUTO_TEST_CASE(matches_literals_and_placeholders) {
  Router<int> r;
  r.Add("GET", "/images", 1);
  r.Add("POST", "/images", 2);
  r.Add("GET", "/images/detail", 3);
  r.Add("GET", "/images/{id}", 4);
  r.Add("PUT", "/images/{id}/members/{member}", 5);
  r.Add("DELETE", "/images/{id}/members/{member}", 6);

  auto m = r.Find("GET", "/images/detail");
  BOOST_TEST((m.kind == Kind::kFound));
  BOOST_TEST(*m.handler == 3);  // literal routes added first win
  m = r.Find("GET", "/images/abc");
  BOOST_TEST(*m.handler == 4);
  BOOST_TEST(m.params.at(0) == "abc");
  m = r.Find("PUT", "/images/abc/members/t1");
  BOOST_TEST(*m.handler == 5);
  BOOST_TEST((m.params == PathParams{"abc", "t1"}));
  m = r.Find("GET", "/images/");  // trailing slash is the same path
  BOOST_TEST(*m.handler == 1);
}

BOOST_AUTO_TEST_CASE(tells_404_from_405) {
  Router<int> r;
  r.Add("GET", "/images", 1);
  r.Add("POST", "/images", 2);
  r.Add("PUT", "/images/{id}/members/{member}", 5);
  r.Add("DELETE", "/images/{id}/members/{member}", 6);
  auto m = r.Find("DELETE", "/images");
  BOOST_TEST((m.kind == Kind::kNoMethod));
  BOOST_TEST(m.allow == "GET, POST");
  m = r.Find("GET", "/images/x/members/y");
  BOOST_TEST(m.allow == "PUT, DELETE");
  BOOST_TEST((r.Find("GET", "/nothing").kind == Kind::kNoPath));
  BOOST_TEST((r.Find("GET", "/images/x/members/y/z").kind == Kind::kNoPath));
  r.SetAllow("/images", "GET");
  BOOST_TEST(r.Find("PATCH", "/images").allow == "GET");
}

BOOST_AUTO_TEST_SUITE_END()
