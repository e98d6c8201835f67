// End-to-end tests of the public Glance v1 image API: real stacks
// (glance-registry, the glance-api FastCGI pool, nginx) started by
// scripts/stack on free ports, driven over HTTP on 127.0.0.1.
#define BOOST_TEST_MODULE glance_e2e
#include <boost/test/unit_test.hpp>
