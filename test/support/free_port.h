// Ports for the daemons a test starts.  bind(127.0.0.1:0) would hand out a
// port of Linux's ephemeral range (32768-60999), which any outgoing
// connection on the machine may hold by the time the daemon binds it; a
// random port below that range that binds now is free of that race.
#ifndef GLANCE_TEST_SUPPORT_FREE_PORT_H_
#define GLANCE_TEST_SUPPORT_FREE_PORT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <stdexcept>
#include <vector>

namespace testsupport {

inline constexpr int kFirstTestPort = 20000;
inline constexpr int kLastTestPort = 32767;

// A socket bound to a random free port of [kFirstTestPort, kLastTestPort]
// on 127.0.0.1; *port receives the port.  The caller closes the socket when
// it has taken every port it needs, so two picks never return the same one.
inline int BindRandomTestPort(int* port) {
  static thread_local std::mt19937 random{std::random_device{}()};
  std::uniform_int_distribution<int> pick(kFirstTestPort, kLastTestPort);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket() failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int candidate = pick(random);
    addr.sin_port = htons(static_cast<uint16_t>(candidate));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      *port = candidate;
      return fd;
    }
    ::close(fd);
  }
  throw std::runtime_error("no free port in 20000-32767 on 127.0.0.1");
}

// `count` distinct ports that were free a moment ago.
inline std::vector<int> FreePorts(int count) {
  // Each socket stays bound until every port is picked: no port twice.
  std::vector<int> fds, ports;
  for (int i = 0; i < count; ++i) {
    int port = 0;
    fds.push_back(BindRandomTestPort(&port));
    ports.push_back(port);
  }
  for (int fd : fds) ::close(fd);
  return ports;
}

inline int FreePort() { return FreePorts(1).front(); }

}  // namespace testsupport

#endif  // GLANCE_TEST_SUPPORT_FREE_PORT_H_
