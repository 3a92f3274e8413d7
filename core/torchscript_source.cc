#include "core/torchscript_source.h"

#include <cmath>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace jkoflow {
namespace {

// The text names dtypes by their ScalarType numbers (part of TorchScript's
// serialised form), as scripts compiled from C++ cannot name torch.float64:
// 4 is int64, 7 float64.

// Float() prints v as a TorchScript float literal that reads back exactly.
std::string Float(double v) {
  std::string text = absl::StrFormat("%.17g", v);
  if (!absl::StrContains(text, ".") && !absl::StrContains(text, "e")) {
    absl::StrAppend(&text, ".0");
  }
  return text;
}

// The activation's value and slope at z: the stable forms of
// core/softplus_kernel.h for softplus.
std::string ActivationScript(const ScriptBlock& block) {
  std::string body;
  if (block.activation == "tanh") {
    body = R"(    a = torch.tanh(z)
    return a, 1.0 - a * a
)";
  } else if (block.activation == "silu") {
    body = R"(    s = torch.sigmoid(z)
    return z * s, s * (1.0 + z * (1.0 - s))
)";
  } else {
    body = absl::StrReplaceAll(R"(    e = torch.exp(-{BETA} * torch.abs(z))
    a = torch.relu(z) + torch.log1p(e) / {BETA}
    s = torch.where(z >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))
    return a, s
)",
                               {{"{BETA}", Float(block.softplus_beta)}});
  }
  return absl::StrCat("def _act(self, z: Tensor) -> Tuple[Tensor, Tensor]:\n",
                      body, "\n");
}

// The layers after the first: `with_trace` also carries the tangents.
std::string HiddenLayers(int64_t depth, bool with_trace) {
  std::string text;
  for (int64_t l = 1; l < depth; ++l) {
    absl::StrAppend(&text, "    a, s = self._act(torch.matmul(a, self.w", l,
                    ".t()) + self.b", l, ")\n");
    if (with_trace) {
      absl::StrAppend(&text, "    jac = s.unsqueeze(2) * torch.matmul(self.w",
                      l, ", jac)\n");
    }
  }
  return text;
}

// The classic RK4 rule of core/rk4.h, with or without the divergence.
constexpr char kRk4Script[] =
    R"(def _solve(self, x: Tensor, t0: float, dt: float) -> Tensor:
    for i in range({STEPS}):
        t = t0 + i * dt
        k1 = self.velocity(x, t)
        k2 = self.velocity(x + (0.5 * dt) * k1, t + 0.5 * dt)
        k3 = self.velocity(x + (0.5 * dt) * k2, t + 0.5 * dt)
        k4 = self.velocity(x + dt * k3, t + dt)
        x = x + (dt / 6.0) * (k1 + 2.0 * (k2 + k3) + k4)
    return x

def map(self, x: Tensor) -> Tensor:
    return self._solve(x, 0.0, 1.0 / {STEPS})

def inverse(self, z: Tensor) -> Tensor:
    return self._solve(z, 1.0, -1.0 / {STEPS})

def map_with_divergence(self, x: Tensor) -> Tuple[Tensor, Tensor]:
    dt = 1.0 / {STEPS}
    div = torch.zeros([x.size(0)], dtype=x.dtype, device=x.device)
    for i in range({STEPS}):
        t = i * dt
        k1, d1 = self.velocity_and_trace(x, t)
        k2, d2 = self.velocity_and_trace(x + (0.5 * dt) * k1, t + 0.5 * dt)
        k3, d3 = self.velocity_and_trace(x + (0.5 * dt) * k2, t + 0.5 * dt)
        k4, d4 = self.velocity_and_trace(x + dt * k3, t + dt)
        x = x + (dt / 6.0) * (k1 + 2.0 * (k2 + k3) + k4)
        div = div + (dt / 6.0) * (d1 + 2.0 * (d2 + d3) + d4)
    return x, div
)";

// SplitMix64's output function on int64 tensors (two's complement wraps as
// uint64 does; >> is arithmetic, so each shift is masked to be logical), and
// DequantizationNoise() of core/data_transform.h on it. _float_bits() is
// the IEEE bits of normal float64 values and zeros (TorchScript 1.13 has no
// view as another dtype): sign, exponent + 1023, 52 mantissa bits.
constexpr char kHashScript[] = R"(def _mix(self, z: Tensor) -> Tensor:
    z = (z ^ ((z >> 30) & 17179869183)) * -4658895280553007687
    z = (z ^ ((z >> 27) & 137438953471)) * -7723592293110705685
    return z ^ ((z >> 31) & 8589934591)

def _unit(self, bits: Tensor) -> Tensor:
    return ((bits >> 11) & 9007199254740991).double() * 1.1102230246251565e-16

def _seed_state(self, seed: int, like: Tensor) -> Tensor:
    start = torch.full([1], seed, dtype=4, device=like.device)
    return self._mix(start + -7046029254386353131)

def _float_bits(self, x: Tensor) -> Tensor:
    m, e = torch.frexp(x)
    magnitude = ((m.abs() * 2.0 - 1.0) * 4503599627370496.0).long()
    bits = ((e.long() + 1022) << 52) | magnitude
    bits = torch.where(x == 0.0, torch.zeros_like(bits), bits)
    return torch.where(torch.signbit(x), bits | (-9223372036854775807 - 1), bits)

def _dequantization_noise(self, x: Tensor, seed: int) -> Tensor:
    bits = self._float_bits(x)
    state = self._seed_state(seed, x).expand([x.size(0)])
    for j in range(x.size(1)):
        state = self._mix(state ^ (bits[:, j] + -7046029254386353131))
    columns: List[Tensor] = []
    for j in range(x.size(1)):
        state = state + -7046029254386353131
        columns.append(self._unit(self._mix(state)))
    return torch.stack(columns, 1)

)";

// The marginal step: Φ^{-1} of the piecewise linear CDF over the levels.
constexpr char kMarginalScript[] =
    R"(def _bin_edges(self, k: Tensor) -> Tuple[Tensor, Tensor]:
    kt = k.t()
    return self.marginal_cdf.gather(1, kt).t(), self.marginal_cdf.gather(1, kt + 1).t()

def _marginal_forward(self, y: Tensor) -> Tuple[Tensor, Tensor]:
    y = y - {LOWER}
    outside = ((y < 0.0) | (y >= {LEVELS})).any(1)
    y = y.clamp(0.0, {LEVELS_BELOW})
    k = y.floor().long().clamp(0, {LAST_LEVEL})
    within = y - k
    below, above = self._bin_edges(k)
    mass = above - below
    lower_tail = below + within * mass
    upper_tail = (1.0 - above) + (1.0 - within) * mass
    z = torch.where(lower_tail < 0.5, torch.special_ndtri(lower_tail.clamp_min(1e-300)),
                    -torch.special_ndtri(upper_tail.clamp_min(1e-300)))
    log_det = (mass.log() + 0.5 * z.pow(2)).sum(1) + {HALF_LOG_2PI_D}
    return z, log_det.masked_fill(outside, float("-inf"))

def _marginal_inverse(self, z: Tensor) -> Tensor:
    c = torch.special_ndtr(z)
    k = (torch.searchsorted(self.marginal_cdf, c.t().contiguous(), right=True) - 1)
    k = k.clamp(0, {LAST_LEVEL}).t()
    below, above = self._bin_edges(k)
    return {LOWER} + k + ((c - below) / (above - below)).clamp(0.0, 1.0)

)";

// The steps of DataTransform::ForwardRows(), in its order.
std::string ForwardSteps(const ScriptTransform& t) {
  std::string text;
  if (t.dequantize) {
    text += "    y = y + self._dequantization_noise(y, seed)\n";
  }
  if (t.marginal) {
    text +=
        "    y, step = self._marginal_forward(y)\n"
        "    log_det = log_det + step\n";
  }
  if (t.scale) {
    text +=
        "    y = (y - {LOWER}) / {WIDTH}\n"
        "    outside = ((y < 0.0) | (y >= 1.0)).any(1)\n"
        "    log_det = (log_det - {D_LOG_WIDTH}).masked_fill(outside, "
        "float(\"-inf\"))\n"
        "    y = y.clamp(0.0, {ONE_BELOW})\n";
  }
  if (t.logit) {
    text +=
        "    p = {ALPHA} + {ONE_MINUS_2ALPHA} * y\n"
        "    y = torch.log(p) - torch.log1p(-p)\n"
        "    log_det = log_det + ({LOG_ONE_MINUS_2ALPHA} - torch.log(p) - "
        "torch.log1p(-p)).sum(1)\n";
  }
  if (t.standardize) {
    text +=
        "    y = (y - self.mean) / self.scale\n"
        "    log_det = log_det - self.scale.log().sum()\n";
  }
  if (t.whiten) {
    text +=
        "    y = torch.matmul(y - self.white_mean, self.basis) * self.root\n";
    text += t.project ? "    y = y.flip([1])\n"
                      : "    y = torch.matmul(y, self.basis.t())\n";
    text += "    log_det = log_det + self.root.log().sum()\n";
  }
  return text;
}

// The steps of DataTransform::Inverse(), in its order.
std::string InverseSteps(const ScriptTransform& t) {
  std::string text;
  if (t.whiten) {
    text += t.project ? "    y = y.flip([1])\n"
                      : "    y = torch.matmul(y, self.basis)\n";
    text +=
        "    y = torch.matmul(y * self.eigenvalues.sqrt(), self.basis.t())"
        " + self.white_mean\n";
  }
  if (t.standardize) text += "    y = y * self.scale + self.mean\n";
  if (t.logit) {
    text += "    y = (torch.sigmoid(y) - {ALPHA}) / {ONE_MINUS_2ALPHA}\n";
  }
  if (t.scale) text += "    y = y.clamp(0.0, 1.0) * {WIDTH} + {LOWER}\n";
  if (t.marginal) text += "    y = self._marginal_inverse(y)\n";
  if (t.dequantize) {
    text += "    y = torch.floor(y)\n";
    if (t.scale || t.marginal) {
      text += "    y = y.clamp({LOWER}, {UPPER} - 1.0)\n";
    }
  }
  return text;
}

}  // namespace

std::string BlockScript(const ScriptBlock& block) {
  const std::string first =
      absl::StrCat("torch.matmul(x, self.w0.t()) + self.b0",
                   block.time_input ? " + t * self.w0t" : "");
  const std::string out = absl::StrCat("torch.matmul(a, self.w", block.depth,
                                       ".t()) + self.b", block.depth);
  std::string text = ActivationScript(block);
  absl::StrAppend(&text,
                  "def velocity(self, x: Tensor, t: float) -> Tensor:\n"
                  "    a, s = self._act(",
                  first, ")\n", HiddenLayers(block.depth, false), "    return ",
                  out, "\n\n");
  // ∂f/∂x = W_D G_{D−1} W_{D−1} … G_0 W_0: jac [n, width, dim] is the
  // product up to the last hidden layer; tr(W_D jac) is the divergence.
  absl::StrAppend(&text,
                  "def velocity_and_trace(self, x: Tensor, t: float)"
                  " -> Tuple[Tensor, Tensor]:\n"
                  "    a, s = self._act(",
                  first, ")\n",
                  "    jac = s.unsqueeze(2) * self.w0.unsqueeze(0)\n",
                  HiddenLayers(block.depth, true), "    v = ", out, "\n",
                  "    return v, (jac * self.w", block.depth,
                  ".t().unsqueeze(0)).sum([1, 2])\n\n");
  absl::StrAppend(
      &text, absl::StrReplaceAll(kRk4Script,
                                 {{"{STEPS}", absl::StrCat(block.steps)}}));
  return text;
}

std::string TransformScript(const ScriptTransform& t) {
  std::string text =
      absl::StrCat(t.marginal ? kMarginalScript : "",
                   "def _to_flow_space(self, x: Tensor, seed: int)"
                   " -> Tuple[Tensor, Tensor]:\n"
                   "    y = x\n"
                   "    log_det = torch.zeros([x.size(0)], dtype=7, "
                   "device=x.device)\n",
                   ForwardSteps(t), "    return y, log_det\n\n",
                   "def _to_data(self, y: Tensor) -> Tensor:\n",
                   InverseSteps(t), "    return y\n\n");
  const double width = t.upper - t.lower;
  const double alpha = t.logit_alpha;
  return absl::StrReplaceAll(
      text, {{"{LOWER}", Float(t.lower)},
             {"{UPPER}", Float(t.upper)},
             {"{WIDTH}", Float(width)},
             {"{D_LOG_WIDTH}", Float(t.dim * std::log(width))},
             {"{ONE_BELOW}", Float(std::nextafter(1.0, 0.0))},
             {"{ALPHA}", Float(alpha)},
             {"{ONE_MINUS_2ALPHA}", Float(1 - 2 * alpha)},
             {"{LOG_ONE_MINUS_2ALPHA}", Float(std::log(1 - 2 * alpha))},
             {"{LEVELS}", Float(static_cast<double>(t.levels))},
             {"{LEVELS_BELOW}",
              Float(std::nextafter(static_cast<double>(t.levels), 0.0))},
             {"{LAST_LEVEL}", absl::StrCat(t.levels - 1)},
             {"{HALF_LOG_2PI_D}", Float(0.5 * t.dim * std::log(2 * M_PI))}});
}

namespace {

// The public methods; {HEAD}/{JOIN_*} keep the columns past flow_dim aside.
constexpr char kFlowScript[] =
    R"(def _check(self, x: Tensor, name: str) -> Tensor:
    assert x.dim() == 2 and x.size(1) == {DIM} and x.size(0) >= 1, name + ": expected points of shape [n >= 1, {DIM}], got " + str(x.shape)
    return x.to(self.anchor.device).double()

def forward(self, x: Tensor) -> Tensor:
    y, log_det = self._to_flow_space(self._check(x, "x"), 0)
    y = y.to(self.anchor.dtype)
    h = y{HEAD}
{MAP}    return {JOIN_H}

def _log_prob_rows(self, x: Tensor, seed: int) -> Tensor:
    y, log_det = self._to_flow_space(x, seed)
    y = y.to(self.anchor.dtype)
    h = y{HEAD}
    div = torch.zeros([x.size(0)], dtype=7, device=x.device)
{MAP_DIV}    z = ({JOIN_H}).double()
    return -0.5 * z.pow(2).sum(1) - {LOG_NORM} + div + log_det

def log_prob(self, x: Tensor, seed: int = 0) -> Tensor:
    x = self._check(x, "x")
    parts: List[Tensor] = []
    for start in range(0, x.size(0), {CHUNK}):
        parts.append(self._log_prob_rows(x[start:start + {CHUNK}], seed))
    return torch.cat(parts)

def inverse(self, z: Tensor) -> Tensor:
    y = self._check(z, "z").to(self.anchor.dtype)
    h = y{HEAD}
{INVERSE}    return self._to_data(({JOIN_H}).double()).to(self.anchor.dtype)

def _noise(self, n: int, seed: int) -> Tensor:
    count = n * {DIM}
    index = torch.arange(1, 2 * count + 1, dtype=4, device=self.anchor.device)
    state = self._seed_state(seed, self.anchor) + index * -7046029254386353131
    u = self._unit(self._mix(state))
    radius = torch.sqrt(-2.0 * torch.log(1.0 - u[:count]))
    return (radius * torch.cos(6.283185307179586 * u[count:])).view([n, {DIM}])

def sample(self, n: int, seed: int = 0) -> Tensor:
    assert n >= 1, "n: must be at least 1, got " + str(n)
    return self.inverse(self._noise(n, seed))
)";

}  // namespace

std::string FlowScript(const ScriptFlow& flow) {
  std::string map, map_div, inverse;
  for (int64_t k = 0; k < flow.blocks; ++k) {
    absl::StrAppend(&map, "    h = self.block", k, ".map(h)\n");
    absl::StrAppend(&map_div, "    h, d = self.block", k,
                    ".map_with_divergence(h)\n",
                    "    div = div + d.double()\n");
    absl::StrAppend(&inverse, "    h = self.block", flow.blocks - 1 - k,
                    ".inverse(h)\n");
  }
  const bool projected = flow.flow_dim < flow.dim;
  const std::string head =
      projected ? absl::StrCat("[:, :", flow.flow_dim, "]") : "";
  const std::string join =
      projected ? absl::StrCat("torch.cat([h, y[:, ", flow.flow_dim, ":]], 1)")
                : "h";
  return absl::StrCat(
      kHashScript,
      absl::StrReplaceAll(
          kFlowScript,
          {{"{DIM}", absl::StrCat(flow.dim)},
           {"{HEAD}", head},
           {"{JOIN_H}", join},
           {"{MAP}", map},
           {"{MAP_DIV}", map_div},
           {"{INVERSE}", inverse},
           {"{CHUNK}", absl::StrCat(flow.chunk_rows)},
           {"{LOG_NORM}", Float(0.5 * flow.dim * std::log(2 * M_PI))}}));
}

}  // namespace jkoflow
