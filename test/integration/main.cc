#define BOOST_TEST_MODULE glance_integration
#include <boost/test/unit_test.hpp>
