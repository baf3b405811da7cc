// Test-only: evaluating a row's register-argument rules on sample argument
// values, to check the rules and the BPF compiled from them.
#ifndef RUNSC_SENTRY_SYSCALL_RULES_TEST_UTIL_H_
#define RUNSC_SENTRY_SYSCALL_RULES_TEST_UTIL_H_

#include <array>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "sentry/syscall_table.h"

namespace sentry::testing {

using Args = std::array<uint64_t, 6>;

inline bool RuleMatches(const ArgRule& rule, const Args& args) {
  for (const ArgMatch& match : rule.when) {
    const bool equal = (args[match.index] & match.mask) == match.value;
    if (equal == match.negate) return false;
  }
  return true;
}

// The rules of `entry` that match `args`.
inline std::vector<const ArgRule*> MatchingRules(const SyscallEntry& entry, const Args& args) {
  std::vector<const ArgRule*> out;
  for (const ArgRule& rule : entry.rules) {
    if (RuleMatches(rule, args)) out.push_back(&rule);
  }
  return out;
}

// Argument values that satisfy every match of `rule` (others 0).
inline Args RuleBase(const ArgRule& rule) {
  Args args{};
  for (const ArgMatch& match : rule.when) args[match.index] = match.negate ? match.value ^ 1 : match.value;
  return args;
}

// Argument vectors that probe the rules of `entry`: each rule's base values;
// each with one argument changed to a neighbour (one bit of the mask
// flipped, junk in the upper half, edge values); every pair of rules'
// base values overlaid; and random values.
inline std::vector<Args> SampleArgs(const SyscallEntry& entry) {
  std::set<Args> out;
  std::mt19937_64 random(42);
  for (const ArgRule& rule : entry.rules) {
    const Args base = RuleBase(rule);
    out.insert(base);
    for (const ArgMatch& match : rule.when) {
      std::set<uint64_t> variants = {0, 1, 0xffffffff, ~uint64_t{0}, uint64_t{1} << 32,
                                     base[match.index] | (uint64_t{1} << 40), random(), random() & 0xff};
      for (int bit = 0; bit < 64; ++bit) {
        if (match.mask & (uint64_t{1} << bit)) variants.insert(base[match.index] ^ (uint64_t{1} << bit));
      }
      for (uint64_t value : variants) {
        Args args = base;
        args[match.index] = value;
        out.insert(args);
      }
    }
    for (const ArgRule& other : entry.rules) {
      Args args = base;
      for (const ArgMatch& match : other.when) args[match.index] = RuleBase(other)[match.index];
      out.insert(args);
    }
  }
  for (int i = 0; i < 1000; ++i) {
    Args args;
    for (uint64_t& arg : args) arg = (i % 2) ? random() : random() & 0xffff;
    out.insert(args);
  }
  return {out.begin(), out.end()};
}

}  // namespace sentry::testing

#endif  // RUNSC_SENTRY_SYSCALL_RULES_TEST_UTIL_H_
