#include "text/chat_template.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include <gtest/gtest.h>

#include "text/jinja/template.h"

namespace nt {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("nt_chat_template_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string path() const { return path_.string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
    return (path_ / name).string();
  }

 private:
  fs::path path_;
  static inline int counter_ = 0;
};

std::string read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(ChatTemplate, PrefersChatTemplateJinjaFile) {
  TempDir dir;
  dir.write("tokenizer_config.json", R"({"chat_template": "from config", "bos_token": {"content": "<s>"}, "eos_token": "</s>"})");
  dir.write("chat_template.jinja", "from file");
  auto src = load_chat_template(dir.path());
  ASSERT_TRUE(src.is_ok()) << src.status().message();
  EXPECT_EQ(src->text, "from file");
  EXPECT_EQ(src->special_tokens["bos_token"], "<s>");
  EXPECT_EQ(src->special_tokens["eos_token"], "</s>");
}

TEST(ChatTemplate, PicksNamedTemplateFromList) {
  TempDir dir;
  dir.write("tokenizer_config.json",
            R"({"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]})");
  auto src = load_chat_template(dir.path());
  ASSERT_TRUE(src.is_ok()) << src.status().message();
  EXPECT_EQ(src->text, "D");
  EXPECT_EQ(load_chat_template(dir.path(), "tool_use")->text, "T");
  auto missing = load_chat_template(dir.path(), "rag");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("no chat template named 'rag' (found: tool_use, default)"), std::string::npos);
}

TEST(ChatTemplate, ReportsMissingTemplate) {
  TempDir dir;
  EXPECT_FALSE(load_chat_template(dir.path()).is_ok());
  dir.write("tokenizer_config.json", R"({"bos_token": "<s>"})");
  auto r = load_chat_template(dir.path());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("no \"chat_template\""), std::string::npos);
}

TEST(ChatTemplate, ContextHasTheVariablesTransformersPasses) {
  ChatTemplateSource src;
  src.special_tokens["bos_token"] = "<s>";
  auto request = nlohmann::ordered_json::parse(R"({"messages": [{"role": "user", "content": "hi"}], "enable_thinking": false})");
  auto ctx = chat_template_context(src, request);
  ASSERT_TRUE(ctx.is_ok()) << ctx.status().message();
  EXPECT_EQ((*ctx)["bos_token"], "<s>");
  EXPECT_TRUE((*ctx)["tools"].is_null());
  EXPECT_EQ((*ctx)["add_generation_prompt"], false);
  EXPECT_EQ((*ctx)["enable_thinking"], false);
  EXPECT_FALSE(chat_template_context(src, nlohmann::ordered_json::parse(R"({"prompt": "x"})")).is_ok());
}

TEST(RenderCli, WritesExactlyTheRenderedBytes) {
  TempDir dir;
  std::string tmpl = dir.write("t.jinja", "{{ bos_token }}{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}\n");
  std::string req = dir.write("r.json", R"({"messages": [{"role": "user", "content": "h\u00e9llo\n"}], "bos_token": "<s>"})");
  std::string out = dir.path() + "/out.txt";
  std::string cmd = std::string(NEMOTRON_CLI_PATH) + " render --template " + tmpl + " --request " + req + " --out " + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(read(out), "<s>[user:h\xC3\xA9llo\n]");  // the template's final newline is dropped, as in Jinja
}

TEST(RenderCli, ModelDirectoryAndErrors) {
  TempDir dir;
  dir.write("tokenizer_config.json", R"({"chat_template": "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}",
                                         "bos_token": "<s>", "eos_token": "</s>"})");
  std::string req = dir.write("r.json", R"({"messages": [{"role": "user", "content": "x"}]})");
  std::string out = dir.path() + "/out.txt";
  std::string cli = NEMOTRON_CLI_PATH;
  ASSERT_EQ(std::system((cli + " render --model " + dir.path() + " --request " + req + " --out " + out).c_str()), 0);
  EXPECT_EQ(read(out), "<s>x</s>");

  std::string bad = dir.write("bad.jinja", "{% if x %}never closed");
  std::string err = dir.path() + "/err.txt";
  int rc = std::system((cli + " render --template " + bad + " --request " + req + " --out " + out + " 2> " + err).c_str());
  EXPECT_NE(rc, 0);
  EXPECT_NE(read(err).find("'{% if %}' from line 1 is never closed"), std::string::npos) << read(err);

  std::string raising = dir.write("raise.jinja", "{{ raise_exception('System message required') }}");
  rc = std::system((cli + " render --template " + raising + " --request " + req + " --out " + out + " 2> " + err).c_str());
  EXPECT_NE(rc, 0);
  EXPECT_NE(read(err).find("System message required"), std::string::npos) << read(err);

  std::string bad_json = dir.write("bad.json", "{\"messages\": [");
  rc = std::system((cli + " render --template " + bad + " --request " + bad_json + " --out " + out + " 2> " + err).c_str());
  EXPECT_NE(rc, 0);
  EXPECT_NE(read(err).find("invalid JSON"), std::string::npos) << read(err);
}

}  // namespace
}  // namespace nt
