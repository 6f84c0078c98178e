// charrnn_module.cpp — `import charrnn`: the public C++ API (include/charrnn/) for Python, with
// pybind11. Nothing here computes: every call is the library's, with the GIL released while
// the network runs, errors turned into exceptions that carry the setting they are about, and
// Ctrl-C turned into a saved checkpoint and KeyboardInterrupt.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <charrnn/charrnn.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace py = pybind11;
using namespace charrnn;

namespace {

// charrnn.Error (RuntimeError) and charrnn.UsageError (Error and ValueError): `field` names the
// setting a usage error is about (None otherwise), `hint` says how to fix it.
py::object g_error, g_usage_error;

[[noreturn]] void raise(const Error& e) {
  py::object cls = e.kind() == Error::Kind::usage ? g_usage_error : g_error;
  py::object exc = cls(std::string(e.what()));
  exc.attr("field") = e.field().empty() ? py::object(py::none()) : py::object(py::str(e.field()));
  exc.attr("hint") = e.hint();
  PyErr_SetObject(cls.ptr(), exc.ptr());
  throw py::error_already_set();
}

// Runs f, turning charrnn::Error into the module's exceptions.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    raise(e);
  }
}

SampleOptions sample_options(double temperature, int top_k, double top_p, uint64_t seed,
                             const std::vector<std::string>& stop, int form, int lines,
                             const std::string& acrostic, double repetition_penalty,
                             double frequency_penalty, double presence_penalty,
                             int penalty_last_n) {
  SampleOptions o;
  o.temperature = temperature;
  o.top_k = top_k;
  o.top_p = top_p;
  o.seed = seed;
  o.stop = stop;
  o.form = form;
  o.lines = lines;
  o.acrostic = acrostic;
  o.repetition_penalty = repetition_penalty;
  o.frequency_penalty = frequency_penalty;
  o.presence_penalty = presence_penalty;
  o.penalty_last_n = penalty_last_n;
  return o;
}

// generate(stream=True): the library generates on a thread of its own; the iterator hands
// the pieces to Python as they come. Closing the iterator (or dropping it) stops generation.
class Stream {
 public:
  Stream(Model model, std::string prompt, int64_t length, SampleOptions o)
      : model_(std::move(model)) {
    worker_ = std::thread([this, prompt = std::move(prompt), length, o] {
      try {
        const Generation g = model_.generate(prompt, length, o, [this](const std::string& s) {
          std::lock_guard<std::mutex> lock(mu_);
          pieces_.push_back(s);
          cv_.notify_one();
          return !stop_;
        });
        std::lock_guard<std::mutex> lock(mu_);
        finish_reason_ = g.finish_reason;
      } catch (const Error& e) {
        std::lock_guard<std::mutex> lock(mu_);
        error_ = std::make_unique<Error>(e);
      }
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
      cv_.notify_one();
    });
  }
  ~Stream() { close(); }

  std::string next() {
    std::string piece;
    {
      py::gil_scoped_release release;
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !pieces_.empty() || done_; });
      if (!pieces_.empty()) {
        piece = std::move(pieces_.front());
        pieces_.pop_front();
        return piece;
      }
    }
    if (error_) raise(*error_);
    throw py::stop_iteration();
  }
  void close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    if (worker_.joinable()) {
      py::gil_scoped_release release;
      worker_.join();
    }
  }
  std::string finish_reason() {
    std::lock_guard<std::mutex> lock(mu_);
    return finish_reason_;
  }

 private:
  Model model_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> pieces_;
  bool done_ = false, stop_ = false;
  std::string finish_reason_;
  std::unique_ptr<Error> error_;
  std::thread worker_;
};

py::dict progress_dict(const TrainProgress& p) {
  static const char* kinds[] = {"info", "step", "eval", "warning", "sample"};
  py::dict d;
  d["kind"] = kinds[int(p.kind)];
  d["text"] = Error::spelled(p.text, Error::plain);
  d["step"] = p.step;
  d["total_steps"] = p.total_steps;
  d["epoch"] = p.epoch;
  d["loss"] = p.loss;
  d["tokens_per_s"] = p.tokens_per_s;
  d["seconds"] = p.seconds;
  d["eta_seconds"] = p.eta_seconds;
  d["val_loss"] = p.val_loss;
  d["improved"] = p.improved;
  d["temperature"] = p.temperature;
  return d;
}

// charrnn.train(...): every keyword is a training setting (docs/usage.md's flags without
// dashes); values may be Python numbers, strings, booleans or lists.
py::dict train_py(py::kwargs kw) {
  TrainOptions o;
  py::object on_progress = py::none();
  py::module_ json = py::module_::import("json");
  for (auto item : kw) {
    const std::string name = py::str(item.first);
    py::handle v = item.second;
    if (name == "on_progress") {
      on_progress = py::reinterpret_borrow<py::object>(v);
    } else if (name == "corpus") {
      o.corpus = py::isinstance<py::str>(v) ? std::vector<std::string>{py::str(v)}
                                            : v.cast<std::vector<std::string>>();
    } else if (name == "model_dir" || name == "model") {
      o.model_dir = py::str(v);
    } else if (name == "resume") {
      o.resume = v.cast<bool>();
    } else if (name == "force") {
      o.force = v.cast<bool>();
    } else {
      o.settings[name] = py::isinstance<py::str>(v) ? std::string(py::str(v))
                                                    : std::string(py::str(json.attr("dumps")(v)));
    }
  }
  std::atomic<bool> stop{false};
  bool interrupted_by_python = false;
  std::unique_ptr<py::error_already_set> callback_error;
  // The GIL is released inside guarded(): an Error unwinds past the release (which takes the
  // GIL back) before it becomes a Python exception.
  const TrainSummary s = guarded([&] {
    py::gil_scoped_release release;
    return charrnn::train(
        o,
        [&](const TrainProgress& p) {
          py::gil_scoped_acquire acquire;
          if (stop) return;
          if (PyErr_CheckSignals() != 0) {  // Ctrl-C: save and return, then raise it
            PyErr_Clear();
            interrupted_by_python = true;
            stop = true;
            return;
          }
          if (on_progress.is_none()) return;
          try {
            on_progress(progress_dict(p));
          } catch (py::error_already_set& e) {  // the callback raised: stop, then re-raise
            callback_error = std::make_unique<py::error_already_set>(std::move(e));
            stop = true;
          }
        },
        &stop);
  });
  if (interrupted_by_python) {  // the checkpoint is saved: now Python's Ctrl-C
    PyErr_SetNone(PyExc_KeyboardInterrupt);
    throw py::error_already_set();
  }
  if (callback_error) throw std::move(*callback_error);
  py::dict d;
  d["steps"] = s.steps;
  d["tokens"] = s.tokens;
  d["seconds"] = s.seconds;
  d["best_val_loss"] = s.best_val_loss;
  d["best_step"] = s.best_step;
  d["interrupted"] = s.interrupted;
  d["model_dir"] = s.model_dir;
  return d;
}

}  // namespace

PYBIND11_MODULE(charrnn, m) {
  m.doc() =
      "charrnn: character-level LSTM language models on the CPU.\n\n"
      "    import charrnn\n"
      "    model = charrnn.Model.open('kjv-small')\n"
      "    print(model.generate('And God said', 200, temperature=0.8, seed=1))\n\n"
      "Models are the charrnn command's checkpoints (a directory, or an installed model's name).\n"
      "Units: lengths count symbols (code points, or grapheme clusters for such models); losses\n"
      "are nats per symbol.";
  py::object runtime_error = py::module_::import("builtins").attr("RuntimeError");
  py::object value_error = py::module_::import("builtins").attr("ValueError");
  py::object type = py::module_::import("builtins").attr("type");
  g_error = type("Error", py::make_tuple(runtime_error),
                 py::dict(py::arg("__doc__") = "A charrnn failure: a bad file, a damaged "
                                               "checkpoint, I/O. .hint says how to fix it."));
  g_usage_error =
      type("UsageError", py::make_tuple(g_error, value_error),
           py::dict(py::arg("__doc__") = "A bad setting or argument; .field names it (e.g. "
                                         "'temperature'), .hint says how to fix it."));
  m.attr("Error") = g_error;
  m.attr("UsageError") = g_usage_error;
  m.attr("__version__") = version();

  py::class_<Model::Cursor>(m, "Cursor",
                            "The network's state after a prompt, stepped one symbol at a time.")
      .def_property_readonly(
          "logits",
          [](const Model::Cursor& c) {
            return py::array_t<float>(py::ssize_t(c.logits().size()), c.logits().data());
          },
          "numpy.ndarray of shape (V,), float32: the next symbol's logits, one per entry of "
          "Model.vocabulary (softmax them for probabilities)")
      .def_property_readonly("position", &Model::Cursor::position, "symbols read so far")
      .def(
          "feed",
          [](Model::Cursor& c, py::object what) {
            guarded([&] {
              if (py::isinstance<py::int_>(what)) {
                const int id = what.cast<int>();
                py::gil_scoped_release release;
                c.feed(id);
              } else {
                const std::string text = what.cast<std::string>();
                py::gil_scoped_release release;
                c.feed(text);
              }
            });
          },
          py::arg("symbol"),
          "Reads one symbol id (int) or each symbol of a text (str); logits then predict the "
          "next.");

  py::class_<Stream>(m, "Stream", "Pieces of generated text as they are sampled (an iterator).")
      .def("__iter__", [](Stream& s) -> Stream& { return s; })
      .def("__next__", &Stream::next)
      .def("close", &Stream::close, "Stops generation (also when the iterator is dropped).")
      .def_property_readonly("finish_reason", &Stream::finish_reason,
                             "'length', 'stop' or 'stopped' once the stream has ended");

  py::class_<Model>(m, "Model", "A trained model, opened from a checkpoint directory or a name.")
      .def_static(
          "open",
          [](const std::string& model, const std::string& weights, const std::string& dtype) {
            return guarded([&] {
              py::gil_scoped_release release;
              return Model::open(model, {weights, dtype});
            });
          },
          py::arg("model"), py::arg("weights") = "best", py::arg("dtype") = "f32",
          "Opens a checkpoint directory or an installed model by name, checking every file's "
          "SHA-256. weights: 'best' (by validation loss) or 'last'; dtype: 'f32' or 'bf16'.")
      .def_property_readonly(
          "card",
          [](const Model& m) { return py::module_::import("json").attr("loads")(m.card().json); },
          "model.json as a dict: what `charrnn inspect --json` prints")
      .def_property_readonly(
          "vocabulary", [](const Model& m) { return m.card().symbols; },
          "the symbols, in id order (the logits' order)")
      .def(
          "generate",
          [](const Model& m, const std::string& prompt, int64_t length, double temperature,
             int top_k, double top_p, uint64_t seed, std::vector<std::string> stop, int form,
             int lines, const std::string& acrostic, double repetition_penalty,
             double frequency_penalty, double presence_penalty, int penalty_last_n,
             bool stream) -> py::object {
            const SampleOptions o = sample_options(
                temperature, top_k, top_p, seed, stop, form, lines, acrostic, repetition_penalty,
                frequency_penalty, presence_penalty, penalty_last_n);
            if (stream)
              return py::cast(new Stream(m, prompt, length, o),
                              py::return_value_policy::take_ownership);
            const std::string text = guarded([&] {
              py::gil_scoped_release release;
              return m.generate(prompt, length, o).text;
            });
            return py::str(text);
          },
          py::arg("prompt") = "", py::arg("length") = 200, py::kw_only(),
          py::arg("temperature") = 1.0, py::arg("top_k") = 0, py::arg("top_p") = 1.0,
          py::arg("seed") = 0, py::arg("stop") = std::vector<std::string>{}, py::arg("form") = 0,
          py::arg("lines") = 0, py::arg("acrostic") = "", py::arg("repetition_penalty") = 1.0,
          py::arg("frequency_penalty") = 0.0, py::arg("presence_penalty") = 0.0,
          py::arg("penalty_last_n") = 64, py::arg("stream") = false,
          "Up to `length` symbols after `prompt` (empty: from a new line), as `charrnn "
          "generate` writes them after the prompt: the same seed gives the same text. "
          "temperature 0 is greedy; top_k/top_p restrict the draw; stop ends the text before "
          "the first of the strings; form 5|7, lines and acrostic write classical poems; the "
          "penalties act on the last penalty_last_n symbols. stream=True returns an iterator "
          "of pieces (a Stream) that can be closed early.")
      .def(
          "score",
          [](const Model& m, const std::string& text, bool dynamic, int batch, int seq) {
            const Score s = guarded([&] {
              ScoreOptions o;
              o.batch = batch;
              o.seq = seq;
              o.dynamic.enabled = dynamic;
              py::gil_scoped_release release;
              return m.score(text, o);
            });
            py::dict d;
            d["symbols"] = s.symbols;
            d["predicted"] = s.predicted;
            d["nats_per_char"] = s.nats_per_char;
            d["bits_per_char"] = s.bits_per_char;
            d["perplexity"] = s.perplexity;
            if (dynamic) d["statistics"] = s.statistics;
            return d;
          },
          py::arg("text"), py::kw_only(), py::arg("dynamic") = false, py::arg("batch") = 32,
          py::arg("seq") = 100,
          "How well the model predicts `text`: a dict of symbols, predicted, nats_per_char, "
          "bits_per_char and perplexity. The text is cut into `batch` streams read in windows "
          "of `seq` symbols (batch=1: one stream from a zero state). dynamic=True: dynamic "
          "evaluation (`charrnn eval --dynamic`).")
      .def(
          "start",
          [](const Model& m, const std::string& prompt) {
            return guarded([&] {
              py::gil_scoped_release release;
              return m.start(prompt);
            });
          },
          py::arg("prompt") = "",
          "A Cursor at the state `prompt` leaves (empty: from a new line): .logits predict the "
          "next symbol, .feed(id or text) steps.")
      .def(
          "logits",
          [](const Model& m, const std::string& prompt) {
            const Model::Cursor c = guarded([&] {
              py::gil_scoped_release release;
              return m.start(prompt);
            });
            return py::array_t<float>(py::ssize_t(c.logits().size()), c.logits().data());
          },
          py::arg("prompt") = "",
          "numpy.ndarray (V,), float32: the logits of the symbol after `prompt`, one per entry "
          "of .vocabulary.");

  m.def("train", &train_py,
        "Trains a model: train(corpus='text.txt', model_dir='out', minutes=30, ...). Every "
        "other keyword is a setting of `charrnn train` by its name (layers=2, hidden=512, "
        "lr_schedule='cosine', dtype='bf16', ...). on_progress(dict) receives each event "
        "(kind: info, step, eval, warning, sample). resume=True continues model_dir. Ctrl-C "
        "saves the checkpoint and raises KeyboardInterrupt. Returns a dict: steps, tokens, "
        "seconds, best_val_loss, best_step, interrupted, model_dir.");
  m.def(
      "set_threads", [](int n) { guarded([&] { set_threads(n); }); }, py::arg("threads"),
      "OpenMP threads for everything that follows (0: every core).");
  m.def(
      "locate_model",
      [](const std::string& name) { return guarded([&] { return locate_model(name); }); },
      py::arg("model"), "The checkpoint directory a model name or path stands for.");
}
