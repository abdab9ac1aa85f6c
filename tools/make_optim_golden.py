#!/usr/bin/python3
"""Golden fixture for the optimisers, gradient clipping and learning-rate schedules.

Run with Debian's python3-torch (the `python3` on PATH has no torch):

    /usr/bin/python3 tools/make_optim_golden.py      # writes tests/fixtures/golden_optim.h5

Everything is float32 (the precision the model trains in), made from a fixed seed, so the file
is reproducible. tests/test_optim_golden.cpp reads it without torch. Layout:

    /params/<name>                  three small parameters before any step
    /grads/<t>/<name>               the gradient fed to step t (t = 0..4); embed.weight has
                                    none at step 0 (PyTorch skips it, and its step count lags),
                                    linear.bias gets an all-zero gradient at step 2
    /adamw                          attributes: lr, beta1, beta2, eps, weight_decay and the
                                    StepLR step_size, gamma (the lr drops after step 2)
        lr                          float64 [5]: the lr each step used
        step<t>/param/<name>        after step t (t = 1..5): the parameters,
        step<t>/exp_avg/<name>      and the state PyTorch holds (only for parameters that
        step<t>/exp_avg_sq/<name>   have had a gradient)
    /sgd_momentum, /sgd_nesterov    attributes: lr, momentum, dampening, weight_decay, nesterov
        step<t>/param/<name>, step<t>/momentum_buffer/<name>
    /clip_clips, /clip_no_clip      attributes: max_norm, grad_step (which /grads set is clipped)
        total_norm                  float32 []: what clip_grad_norm_ returned
        grad/<name>                 the gradients after clipping
    /schedule/step_lr               attributes: base_lr, step_size, gamma;  lr float64 [n]
    /schedule/cosine                attributes: base_lr, t_max, eta_min;    lr float64 [t_max + 1]

The optimisers run with foreach=False (the per-parameter loop our fused kernels mirror).
"""
import argparse
import os

import h5py
import numpy as np
import torch

SEED = 20240612
STEPS = 5
DEFAULT_OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "golden_optim.h5")

# name -> shape; the names look like checkpoint paths on purpose.
SHAPES = {"linear.weight": (4, 3), "linear.bias": (4,), "embed.weight": (2, 5)}


def make_data(gen):
    params = {n: torch.randn(s, generator=gen) for n, s in SHAPES.items()}
    grads = []
    for t in range(STEPS):
        # Gradients of different sizes per parameter, so the update's |m| / sqrt(v) is not ~1
        # everywhere and the clipping norm is dominated by one parameter.
        g = {n: torch.randn(s, generator=gen) * scale for (n, s), scale in zip(SHAPES.items(), [0.5, 2.0, 0.01])}
        if t == 0:
            del g["embed.weight"]  # no gradient: skipped, state created later
        if t == 1:
            g["linear.weight"][0, 0] = 0.0  # one zero entry: denom is sqrt(v) + eps from old v
        if t == 2:
            g["linear.bias"].zero_()  # a present but all-zero gradient still decays and counts
        grads.append(g)
    return params, grads


def leaves(params):
    return {n: p.clone().requires_grad_(True) for n, p in params.items()}


def set_grads(ps, g):
    for n, p in ps.items():
        p.grad = g[n].clone() if n in g else None


def write_dict(group, d):
    for n, t in d.items():
        group[n] = t.detach().numpy()


def run_adamw(f, params, grads):
    hp = dict(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1, step_size=3, gamma=0.1)
    ps = leaves(params)
    opt = torch.optim.AdamW(ps.values(), lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"],
                            weight_decay=hp["weight_decay"], amsgrad=False, maximize=False, foreach=False)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=hp["step_size"], gamma=hp["gamma"])
    g = f.create_group("adamw")
    g.attrs.update(hp)
    lrs = []
    for t in range(STEPS):
        lrs.append(opt.param_groups[0]["lr"])
        set_grads(ps, grads[t])
        opt.step()
        sched.step()
        s = g.create_group(f"step{t + 1}")
        write_dict(s.create_group("param"), ps)
        for buf in ("exp_avg", "exp_avg_sq"):
            write_dict(s.create_group(buf), {n: opt.state[p][buf] for n, p in ps.items() if p in opt.state})
    g["lr"] = np.array(lrs, dtype=np.float64)


def run_sgd(f, name, params, grads, nesterov, dampening):
    hp = dict(lr=0.1, momentum=0.9, dampening=dampening, weight_decay=0.01)
    ps = leaves(params)
    opt = torch.optim.SGD(ps.values(), nesterov=nesterov, foreach=False, **hp)
    g = f.create_group(name)
    g.attrs.update(hp)
    g.attrs["nesterov"] = np.int64(nesterov)
    for t in range(STEPS):
        set_grads(ps, grads[t])
        opt.step()
        s = g.create_group(f"step{t + 1}")
        write_dict(s.create_group("param"), ps)
        write_dict(s.create_group("momentum_buffer"),
                   {n: opt.state[p]["momentum_buffer"] for n, p in ps.items() if p in opt.state})


def run_clip(f, name, params, grads, grad_step, max_norm_factor):
    ps = leaves(params)
    set_grads(ps, grads[grad_step])
    unclipped = torch.norm(torch.stack([torch.norm(p.grad) for p in ps.values() if p.grad is not None]))
    max_norm = float(unclipped) * max_norm_factor
    total = torch.nn.utils.clip_grad_norm_(ps.values(), max_norm)
    g = f.create_group(name)
    g.attrs["max_norm"] = max_norm
    g.attrs["grad_step"] = np.int64(grad_step)
    g["total_norm"] = total.numpy()
    write_dict(g.create_group("grad"), {n: p.grad for n, p in ps.items() if p.grad is not None})


def schedule_lrs(make, n):
    """The lr a torch scheduler reports for epochs 0..n-1 (stepping once per epoch)."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=make.base_lr)
    sched = make.build(opt)
    lrs = []
    for _ in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(lrs, dtype=np.float64)


class StepLRCase:
    base_lr, step_size, gamma, n = 1e-4, 4, 0.1, 13  # three drops: recursion vs closed form

    def build(self, opt):
        return torch.optim.lr_scheduler.StepLR(opt, step_size=self.step_size, gamma=self.gamma)


class CosineCase:
    base_lr, t_max, eta_min = 0.01, 10, 1e-4

    def build(self, opt):
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.t_max, eta_min=self.eta_min)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(SEED)
    params, grads = make_data(gen)

    with h5py.File(args.out, "w") as f:
        f.attrs["generator"] = "tools/make_optim_golden.py"
        f.attrs["torch_version"] = str(torch.__version__)
        f.attrs["seed"] = np.int64(SEED)
        write_dict(f.create_group("params"), params)
        for t, g in enumerate(grads):
            write_dict(f.create_group(f"grads/{t}"), g)
        run_adamw(f, params, grads)
        run_sgd(f, "sgd_momentum", params, grads, nesterov=False, dampening=0.1)
        run_sgd(f, "sgd_nesterov", params, grads, nesterov=True, dampening=0.0)
        run_clip(f, "clip_clips", params, grads, grad_step=0, max_norm_factor=0.25)
        run_clip(f, "clip_no_clip", params, grads, grad_step=1, max_norm_factor=4.0)

        step_lr = StepLRCase()
        s = f.create_group("schedule/step_lr")
        s.attrs.update(base_lr=step_lr.base_lr, step_size=np.int64(step_lr.step_size), gamma=step_lr.gamma)
        s["lr"] = schedule_lrs(step_lr, step_lr.n)
        cosine = CosineCase()
        s = f.create_group("schedule/cosine")
        s.attrs.update(base_lr=cosine.base_lr, t_max=np.int64(cosine.t_max), eta_min=cosine.eta_min)
        s["lr"] = schedule_lrs(cosine, cosine.t_max + 1)
    print(f"wrote {os.path.normpath(args.out)} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()
