// BundleBuilder implementation.
#include "tests/bundle_builder.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "fmt/format.h"

namespace runsc::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Loads the runc-like default config shared with the demo bundle.
json LoadBaseConfig() {
  std::ifstream in(RUNSC_TEST_BASE_CONFIG);
  std::stringstream text;
  text << in.rdbuf();
  json config = json::parse(text.str());
  config["process"]["args"] = json::array({"/bin/payload", "hostname"});
  return config;
}

// Writes `text` to `path`.
absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(fmt::format("writing {}", path));
  return absl::OkStatus();
}

}  // namespace

std::string PreparedRootfs() { return RUNSC_TEST_ROOTFS; }

BundleBuilder::BundleBuilder(std::string dir) : dir_(std::move(dir)), config_(LoadBaseConfig()) {}

BundleBuilder& BundleBuilder::Args(std::vector<std::string> args) {
  config_["process"]["args"] = args;
  return *this;
}

BundleBuilder& BundleBuilder::Env(const std::string& entry) {
  config_["process"]["env"].push_back(entry);
  return *this;
}

BundleBuilder& BundleBuilder::Cwd(const std::string& cwd) {
  config_["process"]["cwd"] = cwd;
  return *this;
}

BundleBuilder& BundleBuilder::User(uint32_t uid, uint32_t gid,
                                   std::vector<uint32_t> additional_gids) {
  json& user = config_["process"]["user"];
  user["uid"] = uid;
  user["gid"] = gid;
  if (!additional_gids.empty()) user["additionalGids"] = additional_gids;
  return *this;
}

BundleBuilder& BundleBuilder::Umask(uint32_t umask) {
  config_["process"]["user"]["umask"] = umask;
  return *this;
}

BundleBuilder& BundleBuilder::Hostname(const std::string& hostname) {
  config_["hostname"] = hostname;
  return *this;
}

BundleBuilder& BundleBuilder::Domainname(const std::string& domainname) {
  config_["domainname"] = domainname;
  return *this;
}

BundleBuilder& BundleBuilder::ReadonlyRoot(bool readonly) {
  config_["root"]["readonly"] = readonly;
  return *this;
}

BundleBuilder& BundleBuilder::AddMount(const std::string& destination, const std::string& type,
                                       const std::string& source,
                                       std::vector<std::string> options) {
  json mount = {{"destination", destination}, {"type", type}, {"source", source}};
  if (!options.empty()) mount["options"] = options;
  config_["mounts"].push_back(mount);
  return *this;
}

BundleBuilder& BundleBuilder::Namespace(const std::string& type, const std::string& path) {
  RemoveNamespace(type);
  json ns = {{"type", type}};
  if (!path.empty()) ns["path"] = path;
  config_["linux"]["namespaces"].push_back(ns);
  return *this;
}

BundleBuilder& BundleBuilder::RemoveNamespace(const std::string& type) {
  json& namespaces = config_["linux"]["namespaces"];
  json kept = json::array();
  for (const json& ns : namespaces) {
    if (ns.value("type", "") != type) kept.push_back(ns);
  }
  namespaces = kept;
  return *this;
}

BundleBuilder& BundleBuilder::MaskedPath(const std::string& path) {
  config_["linux"]["maskedPaths"].push_back(path);
  return *this;
}

BundleBuilder& BundleBuilder::ReadonlyPath(const std::string& path) {
  config_["linux"]["readonlyPaths"].push_back(path);
  return *this;
}

BundleBuilder& BundleBuilder::Device(const std::string& path, const std::string& type,
                                     int64_t major, int64_t minor, uint32_t file_mode) {
  config_["linux"]["devices"].push_back({{"path", path},
                                         {"type", type},
                                         {"major", major},
                                         {"minor", minor},
                                         {"fileMode", file_mode},
                                         {"uid", 0},
                                         {"gid", 0}});
  config_["linux"]["resources"]["devices"].push_back(
      {{"allow", true}, {"type", type}, {"major", major}, {"minor", minor}, {"access", "rwm"}});
  return *this;
}

BundleBuilder& BundleBuilder::Rlimit(const std::string& type, uint64_t soft, uint64_t hard) {
  json& rlimits = config_["process"]["rlimits"];
  json kept = json::array();
  for (const json& r : rlimits) {
    if (r.value("type", "") != type) kept.push_back(r);
  }
  kept.push_back({{"type", type}, {"soft", soft}, {"hard", hard}});
  rlimits = kept;
  return *this;
}

BundleBuilder& BundleBuilder::Capabilities(std::vector<std::string> caps) {
  for (const char* set : {"bounding", "effective", "permitted", "inheritable", "ambient"}) {
    CapabilitySet(set, caps);
  }
  return *this;
}

BundleBuilder& BundleBuilder::CapabilitySet(const std::string& set,
                                            std::vector<std::string> caps) {
  config_["process"]["capabilities"][set] = caps;
  return *this;
}

BundleBuilder& BundleBuilder::NoNewPrivileges(bool nnp) {
  config_["process"]["noNewPrivileges"] = nnp;
  return *this;
}

BundleBuilder& BundleBuilder::OomScoreAdj(int adj) {
  config_["process"]["oomScoreAdj"] = adj;
  return *this;
}

BundleBuilder& BundleBuilder::Sysctl(const std::string& key, const std::string& value) {
  config_["linux"]["sysctl"][key] = value;
  return *this;
}

BundleBuilder& BundleBuilder::Annotation(const std::string& key, const std::string& value) {
  config_["annotations"][key] = value;
  return *this;
}

BundleBuilder& BundleBuilder::CgroupsPath(const std::string& path) {
  config_["linux"]["cgroupsPath"] = path;
  return *this;
}

BundleBuilder& BundleBuilder::MergePatch(const json& patch) {
  config_.merge_patch(patch);
  return *this;
}

BundleBuilder& BundleBuilder::RawConfig(const std::string& text) {
  raw_config_ = text;
  has_raw_config_ = true;
  return *this;
}

BundleBuilder& BundleBuilder::WithoutRootfs() {
  with_rootfs_ = false;
  return *this;
}

absl::Status BundleBuilder::Write() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return absl::InternalError(fmt::format("creating {}: {}", dir_, ec.message()));
  if (with_rootfs_) {
    // A real copy: tests may write into the rootfs, and the prepared one must stay pristine.
    fs::copy(PreparedRootfs(), rootfs(),
             fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
    if (ec) {
      return absl::InternalError(
          fmt::format("copying {} to {}: {}", PreparedRootfs(), rootfs(), ec.message()));
    }
  }
  return WriteText(dir_ + "/config.json", has_raw_config_ ? raw_config_ : config_.dump(2));
}

}  // namespace runsc::testing
