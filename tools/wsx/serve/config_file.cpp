// pywebsocket's --config FILE, read into arguments (see serve_command.hpp).
#include <algorithm>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "serve/serve_command.hpp"

namespace wsx::tools {

bool config_file_arguments(const std::string& path, std::vector<std::string>& args,
                           std::string& error,
                           const std::function<bool(const std::string& option)>& known) {
    std::ifstream in(path);
    if (!in) {
        error = path + ": cannot read the config file";
        return false;
    }
    auto trim = [](std::string v) {
        v.erase(0, v.find_first_not_of(" \t"));
        v.erase(v.find_last_not_of(" \t\r") + 1);
        return v;
    };
    bool in_section = false;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        line = trim(line);
        if (line.empty() || line.front() == '#' || line.front() == ';') {
            continue;
        }
        if (line.front() == '[') {
            in_section = line == "[pywebsocket]";
            continue;
        }
        const auto eq = line.find_first_of("=:");
        if (eq == std::string::npos) {
            error = path + ":" + std::to_string(number) + ": expected 'name = value'";
            return false;
        }
        if (!in_section) {
            continue;
        }
        std::string name = trim(line.substr(0, eq));
        std::replace(name.begin(), name.end(), '_', '-');
        const std::string value = trim(line.substr(eq + 1));
        if (known && !known("--" + name)) {
            error = path;
            error.append(":").append(std::to_string(number)).append(": unknown option '");
            error.append(name).append("' (see wsx serve --help)");
            return false;
        }
        if (value == "true" || value == "True" || value == "yes" || value == "on") {
            args.push_back("--" + name);  // a flag
        } else if (value != "false" && value != "False" && value != "no" && value != "off") {
            args.push_back("--" + name);
            args.push_back(value);
        }
    }
    return true;
}

}  // namespace wsx::tools
