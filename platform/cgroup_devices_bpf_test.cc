#include "platform/cgroup_devices_bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/cgroups.h"
#include "platform/child_test_util.h"
#include "platform/status_matchers.h"

namespace platform {
namespace {

using ::platform::testing::IsOk;
using ::platform::testing::RunInChild;
using ::platform::testing::StatusIs;
using ::testing::HasSubstr;

DeviceCgroupRule Rule(std::string_view text, bool allow = true) {
  absl::StatusOr<DeviceCgroupRule> rule = ParseDeviceCgroupRule(allow, text);
  EXPECT_THAT(rule, IsOk()) << text;
  return rule.ok() ? *rule : DeviceCgroupRule{};
}

std::vector<DeviceCgroupRule> Rules(std::initializer_list<std::pair<bool, std::string_view>> texts) {
  std::vector<DeviceCgroupRule> rules;
  for (const auto& [allow, text] : texts) rules.push_back(Rule(text, allow));
  return rules;
}

bool IsExit(const bpf_insn& insn) { return insn.code == (BPF_JMP | BPF_EXIT); }

// Runs `program` on one access as the kernel would, for the instructions the
// compiler emits; -1 (and a test failure) on anything else.
int Interpret(const std::vector<bpf_insn>& program, uint32_t dev_type, uint32_t access, uint32_t major,
              uint32_t minor) {
  const bpf_cgroup_dev_ctx ctx{(access << 16) | dev_type, major, minor};
  uint64_t reg[MAX_BPF_REG] = {};
  for (size_t pc = 0, steps = 0; pc < program.size() && steps < 100000; ++pc, ++steps) {
    const bpf_insn& insn = program[pc];
    uint64_t& dst = reg[insn.dst_reg];
    const uint64_t imm = static_cast<uint64_t>(static_cast<int64_t>(insn.imm));  // sign-extended
    switch (insn.code) {
      case BPF_LDX | BPF_MEM | BPF_W: {
        uint32_t word;
        EXPECT_EQ(insn.src_reg, BPF_REG_1);
        memcpy(&word, reinterpret_cast<const char*>(&ctx) + insn.off, sizeof(word));
        dst = word;
        break;
      }
      case BPF_ALU | BPF_AND | BPF_K:
        dst = static_cast<uint32_t>(dst) & static_cast<uint32_t>(insn.imm);
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        dst = static_cast<uint32_t>(dst) >> insn.imm;
        break;
      case BPF_ALU | BPF_MOV | BPF_X:
        dst = static_cast<uint32_t>(reg[insn.src_reg]);
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        dst = imm;
        break;
      case BPF_JMP | BPF_JNE | BPF_K:
        pc += dst != imm ? insn.off : 0;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += dst == imm ? insn.off : 0;
        break;
      case BPF_JMP | BPF_JA:
        pc += insn.off;
        break;
      case BPF_JMP | BPF_EXIT:
        return static_cast<int>(reg[BPF_REG_0]);
      default:
        ADD_FAILURE() << "unexpected instruction " << int{insn.code} << " at " << pc;
        return -1;
    }
  }
  ADD_FAILURE() << "the program ran off its end";
  return -1;
}

// The intended semantics, written plainly: each requested access type is
// decided by the last rule naming the device and that type; none denies.
bool Expected(const std::vector<DeviceCgroupRule>& rules, char type, uint32_t access, int64_t major, int64_t minor) {
  for (auto [bit, letter] :
       {std::pair{BPF_DEVCG_ACC_MKNOD, 'm'}, {BPF_DEVCG_ACC_READ, 'r'}, {BPF_DEVCG_ACC_WRITE, 'w'}}) {
    if ((access & bit) == 0) continue;
    bool allowed = false;
    for (const DeviceCgroupRule& rule : rules) {
      bool names =
          rule.type == 'a' || (rule.type == type && (!rule.major || *rule.major == major) &&
                               (!rule.minor || *rule.minor == minor) && rule.access.find(letter) != std::string::npos);
      if (names) allowed = rule.allow;
    }
    if (!allowed) return false;
  }
  return true;
}

// Checks `rules`' program against Expected() on a grid of accesses.
void ExpectProgramMatchesModel(const std::vector<DeviceCgroupRule>& rules) {
  absl::StatusOr<std::vector<bpf_insn>> program = DeviceFilterProgram(rules);
  ASSERT_THAT(program, IsOk());
  for (char type : {'c', 'b'}) {
    for (uint32_t access = 1; access <= 7; ++access) {
      for (int64_t major : {1, 5, 7}) {
        for (int64_t minor : {3, 5, 9}) {
          uint32_t dev_type = type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK;
          ASSERT_EQ(Interpret(*program, dev_type, access, major, minor),
                    Expected(rules, type, access, major, minor) ? 1 : 0)
              << type << " " << major << ":" << minor << " access " << access;
        }
      }
    }
  }
}

TEST(DeviceCgroupRuleTest, ParsesTheV1TextForm) {
  DeviceCgroupRule null = Rule("c 1:3 rwm");
  EXPECT_EQ(null.type, 'c');
  EXPECT_EQ(null.major, 1);
  EXPECT_EQ(null.minor, 3);
  EXPECT_EQ(null.access, "rwm");
  DeviceCgroupRule any_block = Rule("b *:* m", false);
  EXPECT_FALSE(any_block.allow);
  EXPECT_EQ(any_block.type, 'b');
  EXPECT_EQ(any_block.major, std::nullopt);
  EXPECT_EQ(any_block.minor, std::nullopt);
  EXPECT_EQ(any_block.access, "m");
  EXPECT_EQ(Rule("c 136:* rw").minor, std::nullopt);
  EXPECT_EQ(Rule("a").type, 'a');
}

TEST(DeviceCgroupRuleTest, RejectsMalformedText) {
  for (std::string_view text : {"", "x 1:3 rwm", "c 1:3", "c 1 rwm", "c one:3 rwm", "c 1:3 rwx", "c 1:3 ", "c1:3 r"}) {
    EXPECT_THAT(ParseDeviceCgroupRule(true, text),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("device rule")))
        << text;
  }
}

TEST(DeviceFilterProgramTest, OneBlockPerRulePerAccessTypeThenDefaultDeny) {
  // m is covered by rules 1 and 3, r and w by rule 1 and 2.
  absl::StatusOr<std::vector<bpf_insn>> program =
      DeviceFilterProgram(Rules({{true, "c 1:3 rwm"}, {false, "c 1:5 rw"}, {true, "b *:* m"}}));
  ASSERT_THAT(program, IsOk());
  // Deny blocks and the three default denies end in "r0 = 0; exit"; allow
  // blocks jump on; the program ends in "r0 = 1; exit".
  int denies = 0, allows = 0;
  for (size_t i = 1; i < program->size(); ++i) {
    if (IsExit((*program)[i])) ((*program)[i - 1].imm == 0 ? denies : allows)++;
  }
  EXPECT_EQ(denies, 2 + 3);
  EXPECT_EQ(allows, 1);
  EXPECT_EQ(std::count_if(program->begin(), program->end(),
                          [](const bpf_insn& insn) { return insn.code == (BPF_JMP | BPF_JA); }),
            2 + 2);
  ExpectProgramMatchesModel(Rules({{true, "c 1:3 rwm"}, {false, "c 1:5 rw"}, {true, "b *:* m"}}));
}

TEST(DeviceFilterProgramTest, NoRulesDenyEverything) {
  absl::StatusOr<std::vector<bpf_insn>> program = DeviceFilterProgram({});
  ASSERT_THAT(program, IsOk());
  for (uint32_t access = 1; access <= 7; ++access) EXPECT_EQ(Interpret(*program, BPF_DEVCG_DEV_CHAR, access, 1, 3), 0);
}

TEST(DeviceFilterProgramTest, LastMatchingRuleWinsPerAccessType) {
  std::vector<DeviceCgroupRule> rules = Rules({{true, "a"}, {false, "c 1:3 w"}});
  absl::StatusOr<std::vector<bpf_insn>> program = DeviceFilterProgram(rules);
  ASSERT_THAT(program, IsOk());
  constexpr uint32_t kRead = BPF_DEVCG_ACC_READ, kWrite = BPF_DEVCG_ACC_WRITE;
  EXPECT_EQ(Interpret(*program, BPF_DEVCG_DEV_CHAR, kRead, 1, 3), 1);
  EXPECT_EQ(Interpret(*program, BPF_DEVCG_DEV_CHAR, kWrite, 1, 3), 0);
  EXPECT_EQ(Interpret(*program, BPF_DEVCG_DEV_CHAR, kRead | kWrite, 1, 3), 0);  // O_RDWR
  EXPECT_EQ(Interpret(*program, BPF_DEVCG_DEV_CHAR, kWrite, 1, 5), 1);
  // Access granted by two rules adds up, as v1 merges exceptions.
  program = DeviceFilterProgram(Rules({{true, "c 1:3 r"}, {true, "c 1:3 w"}}));
  ASSERT_THAT(program, IsOk());
  EXPECT_EQ(Interpret(*program, BPF_DEVCG_DEV_CHAR, kRead | kWrite, 1, 3), 1);
}

TEST(DeviceFilterProgramTest, AnAllRuleHidesTheRulesBeforeIt) {
  // The verifier rejects unreachable code: no block follows the "a" rule's.
  std::vector<DeviceCgroupRule> rules = Rules({{false, "c 1:3 rwm"}, {true, "a"}, {false, "c 1:5 rwm"}});
  absl::StatusOr<std::vector<bpf_insn>> program = DeviceFilterProgram(rules);
  ASSERT_THAT(program, IsOk());
  // Per section: the access test (3), c 1:5's deny block (3 checks + 2), the "a" jump.
  EXPECT_EQ(program->size(), 6 + 3 * (3 + 5 + 1) + 2);
  ExpectProgramMatchesModel(rules);
}

TEST(DeviceFilterProgramTest, MatchesTheModelOnRandomRuleLists) {
  std::mt19937 random(20240607);
  const char* const kTexts[] = {"a",       "c 1:3 rwm", "c 1:3 r",  "c 1:* w", "c *:5 m",   "c *:* rw",
                                "b *:* m", "b 5:3 rw",  "c 5:* rm", "b 1:5 w", "c 7:9 rwm", "b *:9 r"};
  for (int round = 0; round < 300; ++round) {
    std::vector<DeviceCgroupRule> rules;
    int count = static_cast<int>(random() % 7);
    for (int i = 0; i < count; ++i) rules.push_back(Rule(kTexts[random() % std::size(kTexts)], random() % 2 == 0));
    SCOPED_TRACE(::testing::Message() << "round " << round);
    ExpectProgramMatchesModel(rules);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(DeviceFilterProgramTest, JumpsStayInTheProgram) {
  absl::StatusOr<std::vector<bpf_insn>> program = DeviceFilterProgram(Rules({{true, "c 1:3 r"}, {false, "b 8:* rw"}}));
  ASSERT_THAT(program, IsOk());
  for (size_t i = 0; i < program->size(); ++i) {
    const bpf_insn& insn = (*program)[i];
    if (BPF_CLASS(insn.code) != BPF_JMP || IsExit(insn)) continue;
    EXPECT_GE(insn.off, 0) << "backward jump at " << i;
    EXPECT_LT(i + 1 + insn.off, program->size()) << "jump out of the program at " << i;
  }
  EXPECT_TRUE(IsExit(program->back()));
}

TEST(DeviceFilterProgramTest, RejectsBadRules) {
  DeviceCgroupRule bad_type = Rule("c 1:3 rwm");
  bad_type.type = 'p';
  EXPECT_THAT(DeviceFilterProgram({bad_type}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("type 'p'")));
  DeviceCgroupRule bad_access = Rule("c 1:3 rwm");
  bad_access.access = "x";
  EXPECT_THAT(DeviceFilterProgram({bad_access}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("access")));
  DeviceCgroupRule huge_major = Rule("c 1:3 rwm");
  huge_major.major = int64_t{1} << 33;
  EXPECT_THAT(DeviceFilterProgram({huge_major}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("major")));
  DeviceCgroupRule wildcard = Rule("c 1:3 rwm");
  wildcard.major = wildcard.minor = -1;
  EXPECT_THAT(DeviceFilterProgram({wildcard}), IsOk());
}

// The cgroup2 mount point, or "" (hybrid hosts: /sys/fs/cgroup/unified).
std::string Cgroup2Mount() {
  absl::StatusOr<CgroupLayout> layout = DetectCgroupLayout();
  if (!layout.ok()) return "";
  for (const CgroupHierarchy& hierarchy : layout->hierarchies) {
    if (hierarchy.unified()) return hierarchy.mount_point;
  }
  return "";
}

// A fresh cgroup2 directory for each test, removed in every path.
class DeviceFilterKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (bpf(2) and cgroup creation)";
    std::string mount = Cgroup2Mount();
    if (mount.empty()) GTEST_SKIP() << "no cgroup2 filesystem is mounted";
    static std::atomic<int> counter{0};
    dir_ = fmt::format("{}/runsc-bpf-test-{}-{}", mount, getpid(), counter++);
    ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0) << dir_ << ": " << strerror(errno);
    fd_ = UniqueFd(open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(fd_.valid());
  }

  void TearDown() override {
    fd_.reset();
    if (dir_.empty()) return;
    // The children have been reaped, but the cgroup may read busy briefly.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (rmdir(dir_.c_str()) != 0 && errno == EBUSY && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_NE(access(dir_.c_str(), F_OK), 0) << "cgroup " << dir_ << " left behind";
  }

  void Install(const std::vector<DeviceCgroupRule>& rules) { ASSERT_THAT(SetDeviceFilter(dir_, rules), IsOk()); }

  // Runs `body` in a forked child that first joins the cgroup.
  std::string InCgroup(const std::function<std::string()>& body) {
    return RunInChild(
        [&]() -> std::string {
          std::ofstream procs(dir_ + "/cgroup.procs");
          procs << getpid();
          procs.flush();
          if (!procs) return "joining the cgroup failed";
          return body();
        },
        0);
  }

  std::string dir_;
  UniqueFd fd_;
};

// errno of open(path, flags), 0 on success.
int OpenErrno(const char* path, int flags) {
  int fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

// errno of mknod of a char device in `dir`, 0 on success.
int MknodErrno(const std::string& dir, unsigned major, unsigned minor) {
  std::string path = fmt::format("{}/dev-{}-{}", dir, major, minor);
  if (mknod(path.c_str(), S_IFCHR | 0600, makedev(major, minor)) != 0) return errno;
  unlink(path.c_str());
  return 0;
}

TEST_F(DeviceFilterKernelTest, AllowsDevNullAndDeniesTheRest) {
  Install(Rules({{false, "a"}, {true, "c 1:3 rwm"}}));
  EXPECT_EQ(InCgroup([] {
              CHILD_EXPECT(OpenErrno("/dev/null", O_RDWR) == 0);
              CHILD_EXPECT(OpenErrno("/dev/zero", O_RDONLY) == EPERM);
              CHILD_EXPECT(OpenErrno("/dev/ptmx", O_RDWR) == EPERM);
              return std::string();
            }),
            "");
  // The test process itself is outside the cgroup.
  EXPECT_EQ(OpenErrno("/dev/zero", O_RDONLY), 0);
}

TEST_F(DeviceFilterKernelTest, WildcardMajorAndMinor) {
  Install(Rules({{true, "c *:3 rw"}, {true, "c 5:* rw"}}));
  EXPECT_EQ(InCgroup([] {
              CHILD_EXPECT(OpenErrno("/dev/null", O_RDWR) == 0);      // 1:3
              CHILD_EXPECT(OpenErrno("/dev/ptmx", O_RDWR) == 0);      // 5:2
              CHILD_EXPECT(OpenErrno("/dev/zero", O_RDWR) == EPERM);  // 1:5
              return std::string();
            }),
            "");
}

TEST_F(DeviceFilterKernelTest, AccessIsASubsetOfTheRules) {
  Install(Rules({{true, "c 1:3 r"}}));
  EXPECT_EQ(InCgroup([] {
              CHILD_EXPECT(OpenErrno("/dev/null", O_RDONLY) == 0);
              CHILD_EXPECT(OpenErrno("/dev/null", O_WRONLY) == EPERM);
              CHILD_EXPECT(OpenErrno("/dev/null", O_RDWR) == EPERM);
              return std::string();
            }),
            "");
}

TEST_F(DeviceFilterKernelTest, LastMatchingRuleWins) {
  Install(Rules({{true, "c 1:3 rwm"}, {false, "c 1:3 w"}, {true, "c 1:5 rwm"}, {false, "c *:5 rwm"}}));
  EXPECT_EQ(InCgroup([] {
              CHILD_EXPECT(OpenErrno("/dev/null", O_RDONLY) == 0);
              CHILD_EXPECT(OpenErrno("/dev/null", O_WRONLY) == EPERM);
              CHILD_EXPECT(OpenErrno("/dev/zero", O_RDONLY) == EPERM);
              return std::string();
            }),
            "");
}

TEST_F(DeviceFilterKernelTest, ReadWriteNeedsBothAllowed) {
  Install(Rules({{true, "a"}, {false, "c 1:3 w"}, {true, "c 1:5 r"}, {true, "c 1:5 w"}}));
  EXPECT_EQ(InCgroup([] {
              CHILD_EXPECT(OpenErrno("/dev/null", O_RDONLY) == 0);
              CHILD_EXPECT(OpenErrno("/dev/null", O_WRONLY) == EPERM);
              CHILD_EXPECT(OpenErrno("/dev/null", O_RDWR) == EPERM);
              CHILD_EXPECT(OpenErrno("/dev/zero", O_RDWR) == 0);
              return std::string();
            }),
            "");
}

TEST_F(DeviceFilterKernelTest, AllowAllThenDeny) {
  Install(Rules({{false, "a"}, {true, "a"}, {false, "c 1:5 rwm"}}));
  EXPECT_EQ(InCgroup([] {
              CHILD_EXPECT(OpenErrno("/dev/null", O_RDWR) == 0);
              CHILD_EXPECT(OpenErrno("/dev/ptmx", O_RDWR) == 0);
              CHILD_EXPECT(OpenErrno("/dev/zero", O_RDONLY) == EPERM);
              return std::string();
            }),
            "");
}

TEST_F(DeviceFilterKernelTest, MknodNeedsAnMRule) {
  char tmp[] = "/tmp/runsc-bpf-mknod-XXXXXX";
  ASSERT_NE(mkdtemp(tmp), nullptr);
  std::string dir = tmp;
  Install(Rules({{true, "c 1:3 m"}, {true, "c 1:5 rw"}}));
  std::string result = InCgroup([&] {
    CHILD_EXPECT(MknodErrno(dir, 1, 3) == 0);
    CHILD_EXPECT(MknodErrno(dir, 1, 5) == EPERM);  // r and w, but no m
    CHILD_EXPECT(MknodErrno(dir, 1, 7) == EPERM);
    return std::string();
  });
  std::filesystem::remove_all(dir);
  EXPECT_EQ(result, "");
}

TEST_F(DeviceFilterKernelTest, ReplacedProgramTakesEffectAndTheOldOneIsGone) {
  Install(Rules({{true, "c 1:3 rwm"}}));
  absl::StatusOr<std::vector<uint32_t>> before = QueryDeviceFilters(fd_.get());
  ASSERT_THAT(before, IsOk());
  ASSERT_EQ(before->size(), 1u);

  Install(Rules({{true, "c 1:5 rwm"}}));
  absl::StatusOr<std::vector<uint32_t>> after = QueryDeviceFilters(fd_.get());
  ASSERT_THAT(after, IsOk());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_NE(after->front(), before->front());
  EXPECT_EQ(InCgroup([] {
              CHILD_EXPECT(OpenErrno("/dev/zero", O_RDONLY) == 0);
              CHILD_EXPECT(OpenErrno("/dev/null", O_RDONLY) == EPERM);
              return std::string();
            }),
            "");
}

TEST_F(DeviceFilterKernelTest, VerifierRejectionCarriesTheLogsLastLine) {
  // "exit" without setting r0: the verifier refuses to read it.
  std::vector<bpf_insn> program(1);
  program[0].code = BPF_JMP | BPF_EXIT;
  EXPECT_THAT(LoadDeviceFilter(program), StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("verifier: R0")));
}

TEST_F(DeviceFilterKernelTest, VerifierAcceptsRandomRuleLists) {
  std::mt19937 random(7);
  const char* const kTexts[] = {"a", "c 1:3 rwm", "c 1:* w", "c *:5 m", "c *:* rw", "b *:* m", "b 5:3 rw", "c 5:* rm"};
  for (int round = 0; round < 100; ++round) {
    std::vector<DeviceCgroupRule> rules;
    int count = static_cast<int>(random() % 8);
    for (int i = 0; i < count; ++i) rules.push_back(Rule(kTexts[random() % std::size(kTexts)], random() % 2 == 0));
    absl::StatusOr<std::vector<bpf_insn>> program = DeviceFilterProgram(rules);
    ASSERT_THAT(program, IsOk());
    ASSERT_THAT(LoadDeviceFilter(*program), IsOk()) << "round " << round;
  }
}

// The runtime's v2 path (Cgroup::ApplyDeviceRule without a v1 devices
// hierarchy), one rule per call as create makes them. The Cgroup is built
// from its state.json form so the v2 dir can be used on a hybrid host.
TEST_F(DeviceFilterKernelTest, CgroupAppliesRulesOneByOneOnV2) {
  absl::StatusOr<Cgroup> cgroup = Cgroup::FromJson({{"dirs", {dir_}},
                                                    {"created", nlohmann::json::array()},
                                                    {"devices_dir", ""},
                                                    {"pure_v2", true},
                                                    {"controller_dirs", {{"", dir_}}}});
  ASSERT_THAT(cgroup, IsOk());
  for (const char* rule : {"a", "c 1:3 rwm", "c 1:9 r"}) {
    ASSERT_THAT(cgroup->ApplyDeviceRule(rule[0] != 'a', rule), IsOk()) << rule;
  }
  EXPECT_THAT(cgroup->ApplyDeviceRule(true, "c x:3 rwm"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("linux.resources.devices")));
  absl::StatusOr<std::vector<uint32_t>> attached = QueryDeviceFilters(fd_.get());
  ASSERT_THAT(attached, IsOk());
  EXPECT_EQ(attached->size(), 1u);
  EXPECT_EQ(InCgroup([] {
              CHILD_EXPECT(OpenErrno("/dev/null", O_RDWR) == 0);
              CHILD_EXPECT(OpenErrno("/dev/urandom", O_RDONLY) == 0);
              CHILD_EXPECT(OpenErrno("/dev/urandom", O_WRONLY) == EPERM);
              CHILD_EXPECT(OpenErrno("/dev/zero", O_RDONLY) == EPERM);
              return std::string();
            }),
            "");
}

}  // namespace
}  // namespace platform
