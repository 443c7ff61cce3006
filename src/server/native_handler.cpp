// Native handlers; see native_handler.hpp. The C side sees `wsx_connection*`, which is a
// wsx::Connection behind an opaque type; the host table below is the only way back in.
#include "wsx/native_handler.hpp"

#include <string>
#include <vector>

#include <dlfcn.h>

#include "wsx/connection.hpp"
#include "wsx/net/log.hpp"

#include "server/cgi_env.hpp"

namespace wsx {
namespace {

Connection& conn(wsx_connection* c) {
    return *reinterpret_cast<Connection*>(c);  // the ABI's opaque handle is a Connection
}

const Connection& conn(const wsx_connection* c) {
    return *reinterpret_cast<const Connection*>(c);
}

wsx_connection* handle(Connection& c) {
    return reinterpret_cast<wsx_connection*>(&c);
}

MessageType message_type(int type) {
    return type == WSX_BINARY ? MessageType::binary : MessageType::text;
}

int host_send(wsx_connection* c, const char* data, size_t size, int type) {
    const SendStatus s = conn(c).send({data, size}, message_type(type));
    return s == SendStatus::queued || s == SendStatus::backpressure ? 0 : -1;
}

size_t host_broadcast(wsx_connection* c, const char* data, size_t size, int type) {
    return conn(c).broadcast({data, size}, message_type(type));
}

int host_close(wsx_connection* c, uint16_t code, const char* reason) {
    return conn(c).close(code, reason != nullptr ? std::string_view(reason) : std::string_view())
                   ? -1
                   : 0;
}

size_t host_buffered_amount(const wsx_connection* c) {
    return conn(c).buffered_amount();
}

const char* host_header(const wsx_connection* c, const char* name) {
    const proto::HttpRequest* request = conn(c).request();
    if (request == nullptr || name == nullptr) {
        return nullptr;
    }
    for (const auto& h : request->headers) {
        if (proto::iequals(h.name, name)) {
            return h.value.c_str();
        }
    }
    return nullptr;
}

const char* host_subprotocol(const wsx_connection* c) {
    return conn(c).subprotocol().c_str();
}

void* host_user_data(const wsx_connection* c) {
    const std::any& data = conn(c).user_data();
    const auto* p = std::any_cast<void*>(&data);
    return p != nullptr ? *p : nullptr;
}

void host_set_user_data(wsx_connection* c, void* data) {
    conn(c).user_data() = data;
}

void host_log(const wsx_connection* c, int level, const char* message) {
    const auto lvl = level <= 0   ? net::LogLevel::debug
                     : level == 1 ? net::LogLevel::info
                     : level == 2 ? net::LogLevel::warn
                                  : net::LogLevel::error;
    net::log_at(lvl, c != nullptr ? conn(c).remote_address().to_string() : std::string("-"), " ",
                c != nullptr ? conn(c).path() : std::string_view(), ": ",
                message != nullptr ? message : "");
}

const char* host_variable(const wsx_connection* c, const char* name) {
    if (c == nullptr || name == nullptr) {
        return nullptr;
    }
    thread_local std::string value;  // valid until the next call, as the ABI says
    const Connection& connection = conn(c);
    std::vector<std::string> env = {
            "REMOTE_ADDR=" + connection.remote_address().host(),
            "REMOTE_PORT=" + std::to_string(connection.remote_address().port())};
    add_tls_variables(connection, env);
    const std::string prefix = std::string(name) + "=";
    for (auto& v : env) {
        if (v.rfind(prefix, 0) == 0) {
            value = v.substr(prefix.size());
            return value.c_str();
        }
    }
    return nullptr;
}

int host_subscribe(wsx_connection* c, const char* topic) {
    return topic != nullptr && conn(c).subscribe(topic) ? 0 : -1;
}

int host_unsubscribe(wsx_connection* c, const char* topic) {
    return topic != nullptr && conn(c).unsubscribe(topic) ? 0 : -1;
}

size_t host_publish(wsx_connection* c, const char* topic, const char* data, size_t size, int type) {
    return topic != nullptr ? conn(c).publish(topic, {data, size}, message_type(type)) : 0;
}

const wsx_host kHost = {.abi_version = WSX_HANDLER_ABI_VERSION,
                        .send = host_send,
                        .broadcast = host_broadcast,
                        .close = host_close,
                        .buffered_amount = host_buffered_amount,
                        .header = host_header,
                        .subprotocol = host_subprotocol,
                        .user_data = host_user_data,
                        .set_user_data = host_set_user_data,
                        .log = host_log,
                        .variable = host_variable,
                        .subscribe = host_subscribe,
                        .unsubscribe = host_unsubscribe,
                        .publish = host_publish};

}  // namespace

NativeHandlerLoad NativeHandler::load(const std::string& path) {
    NativeHandlerLoad out;
    void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
        const char* why = dlerror();
        out.error = why != nullptr ? why : "dlopen failed";
        if (out.error.rfind(path + ": ", 0) == 0) {
            out.error.erase(0, path.size() + 2);  // the caller names the path already
        }
        return out;
    }
    auto entry_fn = reinterpret_cast<wsx_handler_entry_fn>(dlsym(library, "wsx_handler_entry"));
    const wsx_handler* entry = entry_fn != nullptr ? entry_fn() : nullptr;
    if (entry == nullptr) {
        out.error = "no wsx_handler_entry() returning a handler (see wsx/handler_abi.h)";
        dlclose(library);
        return out;
    }
    if (entry->abi_version != WSX_HANDLER_ABI_VERSION) {
        out.error = "built against handler ABI version " + std::to_string(entry->abi_version)
                    + ", this wsx speaks version " + std::to_string(WSX_HANDLER_ABI_VERSION)
                    + ": rebuild it against this wsx's handler_abi.h";
        dlclose(library);
        return out;
    }
    std::string name = entry->name != nullptr ? entry->name : path;
    const auto* flags = static_cast<const std::uint32_t*>(dlsym(library, WSX_HANDLER_FLAGS_SYMBOL));
    out.handler.reset(
            new NativeHandler(library, entry, std::move(name), flags != nullptr ? *flags : 0));
    out.handler->self_ = out.handler;
    return out;
}

NativeHandler::~NativeHandler() {
    dlclose(library_);
}

Handlers NativeHandler::handlers() const {
    std::shared_ptr<const NativeHandler> keep = self_.lock();
    const wsx_handler* h = entry_;
    Handlers out;
    if (h->do_extra_handshake != nullptr) {
        out.on_upgrade = [keep, h](const UpgradeContext& ctx) {
            const std::string path(ctx.path);
            const std::string query(ctx.query);
            const std::string origin(ctx.origin.value_or(""));
            std::vector<const char*> offered;
            for (const auto& p : ctx.subprotocols) {
                offered.push_back(p.c_str());
            }
            const wsx_handshake request{path.c_str(), query.c_str(),
                                        ctx.origin ? origin.c_str() : nullptr, offered.data(),
                                        offered.size()};
            wsx_handshake_answer answer{0, nullptr, nullptr};
            h->do_extra_handshake(&kHost, handle(ctx.connection), &request, &answer);
            if (answer.status != 0) {
                return UpgradeDecision::reject(answer.status, "refused by the handler");
            }
            return UpgradeDecision::accept(
                    answer.subprotocol != nullptr ? answer.subprotocol : "",
                    answer.user_data != nullptr ? std::any(answer.user_data) : std::any());
        };
    }
    if (h->on_open != nullptr) {
        out.on_open = [keep, h](Connection& c) {
            h->on_open(&kHost, handle(c));
        };
    }
    if (h->on_message != nullptr) {
        out.on_message = [keep, h](Connection& c, std::string_view data, MessageType type) {
            h->on_message(&kHost, handle(c), data.data(), data.size(),
                          type == MessageType::binary ? WSX_BINARY : WSX_TEXT);
        };
    }
    if (h->passive_closing_handshake != nullptr) {
        out.on_peer_close = [keep, h](Connection& c, std::uint16_t code, std::string_view reason) {
            const std::string r(reason);
            h->passive_closing_handshake(&kHost, handle(c), code, r.c_str());
        };
    }
    if (h->on_close != nullptr) {
        out.on_close = [keep, h](Connection& c, std::uint16_t code, std::string_view reason,
                                 bool clean) {
            const std::string r(reason);
            h->on_close(&kHost, handle(c), code, r.c_str(), clean ? 1 : 0);
        };
    }
    return out;
}

}  // namespace wsx
