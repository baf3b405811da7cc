// The kernel's seccomp action cache (Linux >= 5.11) over the workload filter.
//
// When a filter is attached the kernel emulates it once per syscall number
// with the arguments unknown (kernel/seccomp.c: seccomp_is_const_allow); a
// number whose every path reaches RET ALLOW without loading an argument or
// the instruction pointer is marked, and the kernel then skips the BPF for
// it entirely. A passthrough row whose answer does not depend on its
// arguments must be such a number, or every getpid/read/write pays the
// filter. This file re-implements the kernel's emulator over the exported
// program and checks the rows.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/status_matchers.h"
#include "sentry/syscall_table.h"
#include "sentry/workload_filter.h"

namespace sentry {
namespace {

using ::platform::testing::IsOk;

#if defined(__x86_64__)
constexpr uint32_t kNativeAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kNativeAuditArch = AUDIT_ARCH_AARCH64;
#endif

constexpr uint32_t kTrap = SECCOMP_RET_USER_NOTIF;

// The kernel's seccomp_is_const_allow, instruction for instruction: only the
// syscall number and the architecture are known; any other load, or any
// instruction the kernel's emulator does not model, makes the number
// uncacheable.
bool KernelCachesAllow(const std::vector<sock_filter>& program, uint32_t nr,
                       uint32_t arch) {
  uint32_t reg = 0;
  for (size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& insn = program[pc];
    switch (insn.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (insn.k == offsetof(seccomp_data, nr)) {
          reg = nr;
        } else if (insn.k == offsetof(seccomp_data, arch)) {
          reg = arch;
        } else {
          return false;  // an argument or the instruction pointer
        }
        break;
      case BPF_RET | BPF_K:
        return insn.k == SECCOMP_RET_ALLOW;
      case BPF_JMP | BPF_JA:
        pc += insn.k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
      case BPF_JMP | BPF_JGE | BPF_K:
      case BPF_JMP | BPF_JGT | BPF_K:
      case BPF_JMP | BPF_JSET | BPF_K: {
        bool taken = false;
        switch (BPF_OP(insn.code)) {
          case BPF_JEQ:
            taken = reg == insn.k;
            break;
          case BPF_JGE:
            taken = reg >= insn.k;
            break;
          case BPF_JGT:
            taken = reg > insn.k;
            break;
          default:
            taken = (reg & insn.k) != 0;
            break;
        }
        pc += taken ? insn.jt : insn.jf;
        break;
      }
      case BPF_ALU | BPF_AND | BPF_K:
        reg &= insn.k;
        break;
      default:
        return false;
    }
  }
  return false;  // ran off the end
}

// A row the kernel should cache: it ALLOWs whatever the arguments.
bool AllowsWhateverTheArguments(const SyscallEntry& entry,
                                const Policy& policy) {
  auto allows = [&](Disposition disposition, int err) {
    return SeccompAction(disposition, err, policy, kTrap) == SECCOMP_RET_ALLOW;
  };
  if (entry.rules.empty()) return allows(entry.disposition, entry.errno_value);
  return std::all_of(entry.rules.begin(), entry.rules.end(),
                     [&](const ArgRule& rule) {
                       return allows(rule.disposition, rule.errno_value);
                     });
}

TEST(WorkloadFilterCacheTest,
     EveryArgumentFreeAllowRowIsDecidedByTheKernelsCache) {
  for (bool broker : {true, false}) {
    Policy policy;
    policy.set_broker_to_gofer(broker);
    absl::StatusOr<platform::CompiledSeccomp> compiled =
        CompileWorkloadFilter(policy, kTrap);
    ASSERT_THAT(compiled, IsOk());
    int cached = 0, allow_rows = 0;
    for (const SyscallEntry& entry : policy.entries()) {
      if (entry.number < 0) continue;
      const bool should = AllowsWhateverTheArguments(entry, policy);
      const bool is =
          KernelCachesAllow(compiled->program, entry.number, kNativeAuditArch);
      allow_rows += should;
      cached += is;
      // Never cached unless the row allows every call (a cached number skips
      // the filter: an argument rule would be bypassed).
      EXPECT_EQ(is, should) << entry.name << " (broker " << broker << ")";
    }
    std::cerr << "broker " << broker << ": " << cached << " of " << allow_rows
              << " argument-free ALLOW rows cached by the kernel\n";
  }
}

TEST(WorkloadFilterCacheTest, TheHotPassthroughCallsAreCached) {
  absl::StatusOr<platform::CompiledSeccomp> compiled =
      CompileWorkloadFilter(Policy(), kTrap);
  ASSERT_THAT(compiled, IsOk());
  for (long nr : {SYS_getpid, SYS_read, SYS_write, SYS_pread64, SYS_pwrite64,
                  SYS_fstat, SYS_lseek, SYS_close, SYS_futex, SYS_clock_gettime,
                  SYS_mmap, SYS_munmap, SYS_brk, SYS_rt_sigprocmask}) {
    EXPECT_TRUE(KernelCachesAllow(compiled->program, static_cast<uint32_t>(nr),
                                  kNativeAuditArch))
        << "syscall " << nr;
  }
}

TEST(WorkloadFilterCacheTest, OtherAbisAndTrappedRowsAreNeverCached) {
  absl::StatusOr<platform::CompiledSeccomp> compiled =
      CompileWorkloadFilter(Policy(), kTrap);
  ASSERT_THAT(compiled, IsOk());
#if defined(__x86_64__)
  EXPECT_FALSE(
      KernelCachesAllow(compiled->program, SYS_getpid, AUDIT_ARCH_I386));
  EXPECT_FALSE(KernelCachesAllow(compiled->program, 0x40000000 | SYS_getpid,
                                 kNativeAuditArch));  // x32
  EXPECT_FALSE(
      KernelCachesAllow(compiled->program, SYS_mount, kNativeAuditArch));
#endif
  EXPECT_FALSE(KernelCachesAllow(compiled->program, 1000,
                                 kNativeAuditArch));  // unknown: ENOSYS
}

// The emulator itself: a program that looks at an argument before it has
// decided on the number leaves that number to the BPF, as the kernel does.
TEST(WorkloadFilterCacheTest, AnArgumentLoadBeforeTheDecisionIsNotCached) {
  const std::vector<sock_filter> program = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 2),
      BPF_STMT(
          BPF_LD | BPF_W | BPF_ABS,
          offsetof(seccomp_data, args[0])),  // getpid: looks at an argument
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K,
               SECCOMP_RET_ALLOW),  // every other number: allowed outright
  };
  EXPECT_FALSE(KernelCachesAllow(program, SYS_getpid, kNativeAuditArch));
  EXPECT_TRUE(KernelCachesAllow(program, SYS_read, kNativeAuditArch));
}

}  // namespace
}  // namespace sentry
