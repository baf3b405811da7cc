#include "sentry/syscall_table.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/syscall.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "gmock/gmock.h"
#include "nlohmann/json.hpp"
#include "gtest/gtest.h"
#include "platform/status_matchers.h"
#include "sentry/config.h"
#include "sentry/syscall_rules_test_util.h"
#include "sentry/syscall_table_format.h"

namespace sentry {
namespace {

using ::platform::testing::IsOk;
using ::platform::testing::StatusIs;
using ::testing::HasSubstr;

const SyscallEntry& Row(std::string_view name) {
  const SyscallEntry* entry = FindSyscall(name);
  if (entry == nullptr) {
    ADD_FAILURE() << "no row for " << name;
    static const SyscallEntry kNone;
    return kNone;
  }
  return *entry;
}

// True when some rule of `entry` denies with `err`.
bool HasDenyRule(const SyscallEntry& entry, int err) {
  for (const ArgRule& rule : entry.rules) {
    if (rule.disposition == Disposition::kDeny && rule.errno_value == err) return true;
  }
  return false;
}

TEST(SyscallTableTest, NamesAndNumbersAreUnique) {
  std::set<std::string> names;
  std::set<int> numbers;
  for (const SyscallEntry& entry : SyscallTable()) {
    EXPECT_TRUE(names.insert(entry.name).second) << "duplicate row " << entry.name;
    if (entry.number >= 0) {
      EXPECT_TRUE(numbers.insert(entry.number).second) << "duplicate number " << entry.number;
    }
  }
}

#if defined(__x86_64__)
TEST(SyscallTableTest, EveryNameResolvesOnX86_64) {
  for (const SyscallEntry& entry : SyscallTable()) {
    EXPECT_GE(entry.number, 0) << entry.name;
    std::optional<int> number = SyscallNumber(entry.name, SCMP_ARCH_X86_64);
    ASSERT_TRUE(number.has_value()) << entry.name;
    EXPECT_EQ(*number, entry.number) << entry.name;
    // Where libseccomp knows the name, it agrees with us.
    int known = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, entry.name.c_str());
    if (known >= 0) {
      EXPECT_EQ(known, entry.number) << entry.name;
    }
  }
}

TEST(SyscallTableTest, NumbersMatchSysSyscallH) {
  EXPECT_EQ(Row("read").number, SYS_read);
  EXPECT_EQ(Row("open").number, SYS_open);
  EXPECT_EQ(Row("clone").number, SYS_clone);
  EXPECT_EQ(Row("keyctl").number, SYS_keyctl);
  EXPECT_EQ(Row("io_uring_setup").number, SYS_io_uring_setup);
  EXPECT_EQ(Row("set_mempolicy_home_node").number, SYS_set_mempolicy_home_node);
  EXPECT_EQ(Row("mseal").number, 462);
  EXPECT_EQ(Row("file_setattr").number, 469);
}

// Every syscall the kernel headers define for x86_64 has a row, same number.
TEST(SyscallTableTest, EverySyscallOfTheKernelHeadersHasARow) {
  std::ifstream header("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
  if (!header) GTEST_SKIP() << "no x86_64 kernel headers here";
  const std::regex define(R"(#define __NR_(\w+) (\d+))");
  int seen = 0;
  for (std::string line; std::getline(header, line);) {
    std::smatch match;
    if (!std::regex_match(line, match, define)) continue;
    ++seen;
    const SyscallEntry* entry = FindSyscall(match[1].str());
    ASSERT_NE(entry, nullptr) << "no row for " << match[1];
    EXPECT_EQ(entry->number, std::stoi(match[2].str())) << match[1];
  }
  EXPECT_GT(seen, 350);
}

// And every x86_64 syscall libseccomp knows.
TEST(SyscallTableTest, EverySyscallLibseccompKnowsHasARow) {
  for (int number = 0; number < 1024; ++number) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, number);
    if (name == nullptr) continue;
    EXPECT_NE(FindSyscall(name), nullptr) << "no row for " << name << " (" << number << ")";
    free(name);
  }
}
#endif

TEST(SyscallTableTest, DesignDenyRowsHaveTheirErrno) {
  const std::map<std::string, int> deny = {
      {"bpf", EPERM},          {"userfaultfd", EPERM},       {"perf_event_open", EPERM},   {"keyctl", EPERM},
      {"add_key", EPERM},      {"request_key", EPERM},       {"io_uring_setup", ENOSYS},   {"io_uring_enter", ENOSYS},
      {"io_uring_register", ENOSYS}, {"kexec_load", EPERM},  {"kexec_file_load", EPERM},   {"init_module", EPERM},
      {"finit_module", EPERM}, {"delete_module", EPERM},     {"mount", EPERM},             {"umount2", EPERM},
      {"fsopen", EPERM},       {"fsmount", EPERM},           {"fsconfig", EPERM},          {"fspick", EPERM},
      {"open_tree", EPERM},    {"move_mount", EPERM},        {"mount_setattr", EPERM},     {"pivot_root", EPERM},
      {"setns", EPERM},        {"ptrace", EPERM},            {"process_vm_readv", EPERM},  {"process_vm_writev", EPERM},
      {"clock_settime", EPERM}, {"settimeofday", EPERM},     {"adjtimex", EPERM},          {"clock_adjtime", EPERM},
      {"swapon", EPERM},       {"swapoff", EPERM},           {"reboot", EPERM},            {"syslog", EPERM},
      {"acct", EPERM},         {"quotactl", EPERM},          {"quotactl_fd", EPERM},       {"open_by_handle_at", EPERM},
      {"name_to_handle_at", EPERM}, {"fanotify_init", EPERM}, {"iopl", EPERM},             {"ioperm", EPERM},
      {"vhangup", EPERM},      {"kcmp", EPERM},              {"pidfd_getfd", EPERM},       {"clone3", ENOSYS},
      {"lookup_dcookie", ENOSYS}, {"nfsservctl", ENOSYS},    {"unshare", EPERM},
  };
  for (const auto& [name, err] : deny) {
    const SyscallEntry& entry = Row(name);
    EXPECT_EQ(entry.disposition, Disposition::kDeny) << name;
    EXPECT_EQ(entry.errno_value, err) << name;
  }
  // The ones whose risk is in the flags: deny rules inside passthrough rows.
  EXPECT_TRUE(HasDenyRule(Row("clone"), EPERM));
  EXPECT_TRUE(HasDenyRule(Row("unshare"), EPERM));
  EXPECT_TRUE(HasDenyRule(Row("ioctl"), EPERM));
  EXPECT_TRUE(HasDenyRule(Row("socket"), EPERM));
  EXPECT_TRUE(HasDenyRule(Row("seccomp"), EBUSY));
  EXPECT_TRUE(HasDenyRule(Row("prctl"), EPERM));
}

TEST(SyscallTableTest, ErrnoOnlyOnDenyRows) {
  for (const SyscallEntry& entry : SyscallTable()) {
    if (entry.disposition == Disposition::kDeny) {
      EXPECT_GT(entry.errno_value, 0) << entry.name;
      EXPECT_TRUE(entry.errno_value == EPERM || entry.errno_value == ENOSYS) << entry.name;
    } else {
      EXPECT_EQ(entry.errno_value, 0) << entry.name;
    }
    for (const ArgRule& rule : entry.rules) {
      EXPECT_EQ(rule.disposition == Disposition::kDeny, rule.errno_value > 0) << entry.name;
    }
  }
}

TEST(SyscallTableTest, DesignBrokerRowsAreBrokerAndTrapByDefault) {
  for (const char* name : {"open", "openat", "openat2", "creat", "mkdir", "mkdirat", "mknod", "mknodat", "unlink",
                           "unlinkat", "rmdir", "rename", "renameat", "renameat2", "link", "linkat", "symlink",
                           "symlinkat", "chmod", "fchmodat", "fchmodat2", "chown", "lchown", "fchownat", "utime",
                           "utimes", "futimesat", "utimensat", "truncate", "setxattr", "lsetxattr", "removexattr",
                           "lremovexattr", "bind"}) {
    EXPECT_EQ(Row(name).disposition, Disposition::kBroker) << name;
  }
  for (const SyscallEntry& entry : SyscallTable()) {
    if (entry.disposition != Disposition::kBroker || entry.support != Support::kFull) continue;
    EXPECT_THAT(entry.note, HasSubstr("the gofer runs it with the caller's credentials")) << entry.name;
  }
  EXPECT_TRUE(kBrokerToGofer);
  EXPECT_TRUE(Policy().broker_to_gofer());
}

TEST(SyscallTableTest, EmulateRows) {
  for (const char* name : {"uname", "sysinfo", "sethostname", "setdomainname"}) {
    EXPECT_EQ(Row(name).disposition, Disposition::kEmulate) << name;
  }
}

TEST(SyscallTableTest, OrdinaryCallsPassThrough) {
  for (const char* name : {"read", "write", "mmap", "futex", "epoll_wait", "epoll_ctl", "execve", "fcntl", "getpid",
                           "fork", "newfstatat", "readlinkat", "getdents64"}) {
    EXPECT_EQ(Row(name).disposition, Disposition::kPassthrough) << name;
    EXPECT_TRUE(Row(name).rules.empty()) << name;
  }
}

TEST(SyscallTableTest, RowsWithRulesSayWhatTheyDo) {
  for (const SyscallEntry& entry : SyscallTable()) {
    EXPECT_EQ(entry.rules.empty(), entry.conditions.empty()) << entry.name;
    for (const ArgRule& rule : entry.rules) {
      EXPECT_FALSE(rule.when.empty()) << entry.name;
      for (const ArgMatch& match : rule.when) {
        EXPECT_LT(match.index, 6u) << entry.name;
        EXPECT_EQ(match.value & ~match.mask, 0u) << entry.name << ": the value has bits outside the mask";
        if (match.negate) {
          EXPECT_EQ(match.mask, ~uint64_t{0}) << entry.name;
        }
      }
    }
  }
}

// libseccomp merges overlapping rules instead of ordering them, so the rules
// of a row must give exactly one answer for any argument values.
TEST(SyscallTableTest, RulesAreDisjointAndCoverEveryValue) {
  for (const SyscallEntry& entry : SyscallTable()) {
    if (entry.rules.empty()) continue;
    for (const testing::Args& args : testing::SampleArgs(entry)) {
      std::set<std::pair<Disposition, int>> answers;
      for (const ArgRule* rule : testing::MatchingRules(entry, args)) answers.insert({rule->disposition, rule->errno_value});
      ASSERT_EQ(answers.size(), 1u) << entry.name << "(" << std::hex << args[0] << ", " << args[1] << ", " << args[2]
                                    << "): " << answers.size() << " different answers";
    }
  }
}

// Every disposition a row of the table can give a call that traps to the
// sentry has its handler (DESIGN.md rule 6), so the default is never a fault.
TEST(SyscallTableTest, EveryTrappedRowCarriesItsHandler) {
  for (const SyscallEntry& entry : SyscallTable()) {
    EXPECT_TRUE(HasHandler(entry, entry.disposition)) << entry.name;
    for (const ArgRule& rule : entry.rules) EXPECT_TRUE(HasHandler(entry, rule.disposition)) << entry.name;
  }
  EXPECT_NE(Row("mkdir").broker, nullptr);
  EXPECT_NE(Row("bind").broker, nullptr);
  EXPECT_NE(Row("uname").emulate, nullptr);
  EXPECT_EQ(Row("uname").broker, nullptr);
  EXPECT_EQ(Row("unshare").broker, nullptr);
  EXPECT_EQ(Row("unshare").emulate, nullptr);
  EXPECT_TRUE(HasHandler(Row("unshare"), Disposition::kDeny));
  EXPECT_TRUE(HasHandler(Row("unshare"), Disposition::kPassthrough));
}

TEST(SyscallTableTest, FindByNameAndNumber) {
  ASSERT_NE(FindSyscall("getpid"), nullptr);
  EXPECT_EQ(FindSyscall("getpid")->name, "getpid");
  EXPECT_EQ(FindSyscall("no_such_call"), nullptr);
  const int getpid = FindSyscall("getpid")->number;
  ASSERT_NE(FindSyscall(getpid), nullptr);
  EXPECT_EQ(FindSyscall(getpid)->name, "getpid");
  EXPECT_EQ(FindSyscall(100000), nullptr);
  EXPECT_EQ(SyscallName(getpid), "getpid");
  EXPECT_EQ(SyscallName(100000), "syscall_100000");
  EXPECT_EQ(SyscallNumber("getpid"), getpid);
  EXPECT_EQ(SyscallNumber("no_such_call"), std::nullopt);
  EXPECT_EQ(SyscallNumber("open", SCMP_ARCH_AARCH64), std::nullopt);  // aarch64 has only openat
  EXPECT_EQ(SyscallNumber("openat", SCMP_ARCH_AARCH64), 56);
}

TEST(PolicyTest, DefaultIsTheTable) {
  Policy policy;
  ASSERT_EQ(policy.entries().size(), SyscallTable().size());
  for (size_t i = 0; i < policy.entries().size(); ++i) {
    EXPECT_EQ(policy.entries()[i].name, SyscallTable()[i].name);
    EXPECT_EQ(policy.entries()[i].disposition, SyscallTable()[i].disposition);
  }
}

TEST(PolicyTest, OverrideMovesARow) {
  Policy policy;
  ASSERT_THAT(policy.Override("clone", Disposition::kDeny, EACCES), IsOk());
  ASSERT_THAT(policy.Override("keyctl", Disposition::kPassthrough), IsOk());
  ASSERT_THAT(policy.Override("getppid", Disposition::kDeny), IsOk());
  for (const SyscallEntry& entry : policy.entries()) {
    if (entry.name == "clone") {
      EXPECT_EQ(entry.disposition, Disposition::kDeny);
      EXPECT_EQ(entry.errno_value, EACCES);
      EXPECT_TRUE(entry.rules.empty());
    } else if (entry.name == "keyctl") {
      EXPECT_EQ(entry.disposition, Disposition::kPassthrough);
      EXPECT_EQ(entry.errno_value, 0);
    } else if (entry.name == "getppid") {
      EXPECT_EQ(entry.errno_value, EPERM);
    }
  }
  // The table itself is unchanged.
  EXPECT_EQ(Row("keyctl").disposition, Disposition::kDeny);
}

// The disposition of row `name` in `rows` (kPassthrough when absent).
Disposition DispositionOf(const std::vector<SyscallEntry>& rows, std::string_view name) {
  for (const SyscallEntry& entry : rows) {
    if (entry.name == name) return entry.disposition;
  }
  return Disposition::kPassthrough;
}

// A policy reads the table until an Override copies its rows; copies of a
// policy are independent of each other and of the table.
TEST(PolicyTest, OverridesChangeOnlyTheirOwnCopy) {
  Policy original;
  EXPECT_EQ(&original.entries(), &SyscallTable());
  Policy copy = original;
  ASSERT_THAT(copy.Override("getppid", Disposition::kDeny), IsOk());
  Policy copy_of_copy = copy;
  ASSERT_THAT(copy_of_copy.Override("getpid", Disposition::kDeny), IsOk());
  EXPECT_EQ(DispositionOf(SyscallTable(), "getppid"), Disposition::kPassthrough);
  EXPECT_EQ(DispositionOf(original.entries(), "getppid"), Disposition::kPassthrough);
  EXPECT_EQ(DispositionOf(copy.entries(), "getppid"), Disposition::kDeny);
  EXPECT_EQ(DispositionOf(copy.entries(), "getpid"), Disposition::kPassthrough);
  EXPECT_EQ(DispositionOf(copy_of_copy.entries(), "getppid"), Disposition::kDeny);
  EXPECT_EQ(DispositionOf(copy_of_copy.entries(), "getpid"), Disposition::kDeny);
}

TEST(PolicyTest, OverrideRefusesUnknownNamesAndBadErrnos) {
  Policy policy;
  EXPECT_THAT(policy.Override("foo", Disposition::kDeny),
              StatusIs(absl::StatusCode::kInvalidArgument, "policy: unknown syscall \"foo\""));
  EXPECT_THAT(policy.Override("read", Disposition::kPassthrough, EPERM),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("only for deny")));
  EXPECT_THAT(policy.Override("read", Disposition::kDeny, 5000),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("out of range")));
}

// --policy never widens (DESIGN.md rule 6): a row moves to broker or emulate
// only when the sentry has a handler for that syscall.
TEST(PolicyTest, OverrideRefusesBrokerOrEmulateWithoutAHandler) {
  for (const char* name : {"unshare", "keyctl", "getpid"}) {
    for (Disposition to : {Disposition::kBroker, Disposition::kEmulate}) {
      Policy policy;
      const std::string quoted = std::string("\"") + name + "\"";
      EXPECT_THAT(policy.Override(name, to),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           ::testing::AllOf(HasSubstr(quoted), HasSubstr(std::string(DispositionName(to))),
                                            HasSubstr("no handler"))))
          << name << " -> " << DispositionName(to);
    }
  }
}

TEST(PolicyTest, OverrideAcceptsRowsWithAHandler) {
  Policy policy;
  EXPECT_THAT(policy.Override("openat", Disposition::kBroker), IsOk());  // every open traps; reads are continued
  EXPECT_THAT(policy.Override("sysinfo", Disposition::kPassthrough), IsOk());
  EXPECT_THAT(policy.Override("sysinfo", Disposition::kEmulate), IsOk());
  EXPECT_THAT(policy.Override("mkdir", Disposition::kDeny), IsOk());
  EXPECT_THAT(policy.Override("mkdir", Disposition::kBroker), IsOk());
  EXPECT_THAT(policy.Override("unshare", Disposition::kDeny, ENOSYS), IsOk());
}

TEST(PolicyTest, ConfigRefusesAPolicyThatWouldWiden) {
  SandboxConfig config;
  config.policy = nlohmann::json::parse(R"({"syscalls": {"unshare": "broker"}})");
  absl::StatusOr<Policy> built = config.BuildPolicy();
  EXPECT_THAT(built.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                       ::testing::AllOf(HasSubstr("\"unshare\""), HasSubstr("\"broker\""),
                                                        HasSubstr("no handler for unshare"),
                                                        HasSubstr("(brokered calls: access, bind, chmod, "))));
  EXPECT_THAT(config.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unshare")));
  config.policy = nlohmann::json::parse(R"({"syscalls": {"keyctl": "emulate"}})");
  EXPECT_THAT(config.BuildPolicy().status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("keyctl")));
  config.policy = nlohmann::json::parse(R"({"syscalls": {"uname": "emulate", "mkdir": "broker", "keyctl": "deny"}})");
  EXPECT_THAT(config.BuildPolicy().status(), IsOk());
}

TEST(SyscallTableFormatTest, Formats) {
  EXPECT_THAT(ParseTableFormat("yaml"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown format \"yaml\"")));
  Policy policy;
  ASSERT_THAT(ParseTableFormat("csv"), IsOk());
  const std::string csv = FormatSyscallTable(policy, TableFormat::kCsv);
  EXPECT_THAT(csv, HasSubstr("name,number,disposition,errno,support,conditions,note\n"));
  EXPECT_THAT(csv, HasSubstr("\nkeyctl,250,deny,EPERM,none,,"));
  const std::string table = FormatSyscallTable(policy, TableFormat::kTable);
  EXPECT_THAT(table, HasSubstr("keyctl"));
  const nlohmann::json json = nlohmann::json::parse(FormatSyscallTable(policy, TableFormat::kJson));
  ASSERT_EQ(json.size(), SyscallTable().size());
  EXPECT_EQ(json[0]["name"], "read");
  EXPECT_TRUE(json[0]["errno"].is_null());
  const std::string markdown = FormatSyscallTable(policy, TableFormat::kMarkdown);
  EXPECT_THAT(markdown, HasSubstr("| `keyctl` | 250 | deny | EPERM | none | |"));
  EXPECT_THAT(markdown, HasSubstr("O_WRONLY\\|O_RDWR"));  // '|' escaped in cells
}

// docs/syscalls.md is generated: fail when it is out of date.
TEST(SyscallTableFormatTest, DocsSyscallsMdIsUpToDate) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "docs/syscalls.md lists x86_64 numbers";
#endif
  const std::string path = std::string(RUNSC_SOURCE_DIR) + "/docs/syscalls.md";
  std::ifstream file(path);
  std::stringstream content;
  content << file.rdbuf();
  const std::string expected = FormatSyscallTable(Policy(), TableFormat::kMarkdown);
  if (content.str() == expected) return;
  std::istringstream have(content.str()), want(expected);
  std::string have_line, want_line;
  int line = 0;
  while (true) {
    ++line;
    const bool more_have = static_cast<bool>(std::getline(have, have_line));
    const bool more_want = static_cast<bool>(std::getline(want, want_line));
    if (!more_have && !more_want) break;
    if (have_line != want_line || more_have != more_want) break;
  }
  ADD_FAILURE() << path << " is out of date (first difference at line " << line << ":\n  have: " << have_line
                << "\n  want: " << want_line << ")\nregenerate it: runsc syscalls --format markdown > docs/syscalls.md";
}

}  // namespace
}  // namespace sentry
