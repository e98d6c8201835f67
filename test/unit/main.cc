#define BOOST_TEST_MODULE glance_unit
#include <boost/test/unit_test.hpp>
