#!/usr/bin/python3
"""The reconstruction model of ../shared/spec/UNIAD.md written in PyTorch, as an independent
reference for the C++ one (uniad/model.cpp).

Run with Debian's python3-torch (1.13): /usr/bin/python3. The python3 on PATH has no torch.

It has the same switches as uniad::ModelConfig (same field names) and the same parameter names
as the C++ named_parameters(), so a state dict maps one to one onto our HDF5 layout
(/model/<name>). Attention is torch.nn.MultiheadAttention with its packed in_proj, so the C++
attention is checked against PyTorch's own, not against a copy of itself. Shapes use the
letters of the spec: B batch, C feature channels, H x W token grid, L = H*W tokens, D width.
"""
import dataclasses
import math

try:  # the HDF5 helpers below (and tools/compare_full_model.py, as ref.h5py)
    import h5py
    import numpy as np
except ImportError:  # a bare torch install (a GPU machine's benchmark): the model alone works
    h5py = np = None
import torch
from torch import nn


@dataclasses.dataclass
class ModelConfig:
    """Mirror of uniad/config.h; defaults are the paper's configuration."""
    network: str = "uniad"  # mlp | cnn | transformer | query_first | uniad
    feature_channels: int = 272
    grid_h: int = 14
    grid_w: int = 14
    hidden_dim: int = 256
    heads: int = 8
    encoder_layers: int = 4
    decoder_layers: int = 4
    ffn_dim: int = 1024
    dropout: float = 0.1
    learned_pos_embed: bool = True
    mask_encoder: bool = True
    mask_decoder1: bool = True
    mask_decoder2: bool = True
    mask_window: int = 7
    jitter_scale: float = 20.0
    jitter_prob: float = 1.0

    def write_attrs(self, attrs):
        """As HDF5 attributes of one group: int64 for ints and bools, float64, strings."""
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            attrs[f.name] = v if isinstance(v, str) else np.float64(v) if isinstance(v, float) else np.int64(v)

    @classmethod
    def read_attrs(cls, attrs):
        kw = {}
        for f in dataclasses.fields(cls):
            v = attrs[f.name]
            kw[f.name] = v if f.type is str else f.type(v.item() if hasattr(v, "item") else v)
        return cls(**kw)


def neighbor_mask(grid_h, grid_w, window):
    """Additive [L, L] mask: -inf where token j lies in the window x window block centred on
    token i (i itself included), else 0. Token index = row * grid_w + col."""
    idx = torch.arange(grid_h * grid_w)
    row, col = idx // grid_w, idx % grid_w
    r = window // 2
    near = ((row[:, None] - row[None, :]).abs() <= r) & ((col[:, None] - col[None, :]).abs() <= r)
    return torch.zeros(near.shape).masked_fill(near, float("-inf"))


class PositionEmbedding(nn.Module):
    """Learned: concat(col_embed[w], row_embed[h]) for token (h, w), tables U(0, 1).
    Sine: DETR's normalised sine embedding, concat(y part, x part). -> [L, 1, D]."""

    def __init__(self, c):
        super().__init__()
        self.h, self.w, self.d, self.learned = c.grid_h, c.grid_w, c.hidden_dim, c.learned_pos_embed
        if self.learned:
            self.row_embed = nn.Embedding(c.grid_h, c.hidden_dim // 2)
            self.col_embed = nn.Embedding(c.grid_w, c.hidden_dim // 2)
            nn.init.uniform_(self.row_embed.weight)
            nn.init.uniform_(self.col_embed.weight)

    def forward(self):
        H, W = self.h, self.w
        if self.learned:
            x = self.col_embed.weight[None, :, :].expand(H, W, -1)  # [H, W, D/2]
            y = self.row_embed.weight[:, None, :].expand(H, W, -1)
            return torch.cat([x, y], dim=-1).reshape(H * W, 1, self.d)
        # DETR's PositionEmbeddingSine(normalize=True) on an unpadded H x W map.
        feats, eps, scale = self.d // 2, 1e-6, 2 * math.pi
        y = torch.arange(1, H + 1, dtype=torch.float64)[:, None].expand(H, W)
        x = torch.arange(1, W + 1, dtype=torch.float64)[None, :].expand(H, W)
        y = (y - 0.5) / (H + eps) * scale
        x = (x - 0.5) / (W + eps) * scale
        dim_t = 10000 ** (2 * (torch.arange(feats, dtype=torch.float64) // 2) / feats)
        px, py = x[..., None] / dim_t, y[..., None] / dim_t  # [H, W, D/2]
        px = torch.stack([px[..., 0::2].sin(), px[..., 1::2].cos()], dim=3).flatten(2)
        py = torch.stack([py[..., 0::2].sin(), py[..., 1::2].cos()], dim=3).flatten(2)
        return torch.cat([py, px], dim=-1).reshape(H * W, 1, self.d)  # float64; the caller casts


class FeedForward(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.linear1 = nn.Linear(c.hidden_dim, c.ffn_dim)
        self.dropout = nn.Dropout(c.dropout)
        self.linear2 = nn.Linear(c.ffn_dim, c.hidden_dim)

    def forward(self, x):
        return self.linear2(self.dropout(torch.relu(self.linear1(x))))


def mha(c):
    return nn.MultiheadAttention(c.hidden_dim, c.heads, dropout=c.dropout)  # sequence first


class EncoderLayer(nn.Module):
    """x = LN1(x + drop(MHA(x + pos, x + pos, x))); x = LN2(x + drop(FFN(x)))."""

    def __init__(self, c):
        super().__init__()
        self.self_attn, self.ffn = mha(c), FeedForward(c)
        self.norm1, self.norm2 = nn.LayerNorm(c.hidden_dim), nn.LayerNorm(c.hidden_dim)
        self.dropout1, self.dropout2 = nn.Dropout(c.dropout), nn.Dropout(c.dropout)

    def forward(self, x, pos, mask):
        qk = x + pos
        x = self.norm1(x + self.dropout1(self.self_attn(qk, qk, x, attn_mask=mask, need_weights=False)[0]))
        return self.norm2(x + self.dropout2(self.ffn(x)))


class DecoderLayer(nn.Module):
    """The residual stream starts from the layer's learned query (or, without one, from its
    input `prev`); attention 1 reads the encoder output, attention 2 the previous layer's."""

    def __init__(self, c, learned_query):
        super().__init__()
        if learned_query:
            self.learned_embed = nn.Embedding(c.grid_h * c.grid_w, c.hidden_dim)  # N(0, 1)
        self.self_attn, self.multihead_attn, self.ffn = mha(c), mha(c), FeedForward(c)
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(c.hidden_dim) for _ in range(3))
        self.dropout1, self.dropout2, self.dropout3 = (nn.Dropout(c.dropout) for _ in range(3))

    def forward(self, enc, prev, pos, mask1, mask2):
        L, B, _ = enc.shape
        start = self.learned_embed.weight[:, None, :].expand(L, B, -1) if hasattr(self, "learned_embed") else prev
        a = self.self_attn(start + pos, enc + pos, enc, attn_mask=mask1, need_weights=False)[0]
        t = self.norm1(start + self.dropout1(a))
        a = self.multihead_attn(t + pos, prev + pos, prev, attn_mask=mask2, need_weights=False)[0]
        t = self.norm2(t + self.dropout2(a))
        return self.norm3(t + self.dropout3(self.ffn(t)))


class MLPLayer(nn.Module):
    """Token-wise: x = LN(x + drop(FFN(x)))."""

    def __init__(self, c):
        super().__init__()
        self.ffn, self.norm, self.dropout = FeedForward(c), nn.LayerNorm(c.hidden_dim), nn.Dropout(c.dropout)

    def forward(self, x):
        return self.norm(x + self.dropout(self.ffn(x)))


class ConvLayer(nn.Module):
    """x = LN(x + drop(conv3x3(relu(conv3x3(x))))) on the [B, D, H, W] token map."""

    def __init__(self, c):
        super().__init__()
        self.h, self.w = c.grid_h, c.grid_w
        self.conv1 = nn.Conv2d(c.hidden_dim, c.hidden_dim, 3, padding=1)
        self.conv2 = nn.Conv2d(c.hidden_dim, c.hidden_dim, 3, padding=1)
        self.norm, self.dropout = nn.LayerNorm(c.hidden_dim), nn.Dropout(c.dropout)

    def forward(self, x):  # [L, B, D]
        L, B, D = x.shape
        m = x.permute(1, 2, 0).reshape(B, D, self.h, self.w)
        mixed = self.conv2(torch.relu(self.conv1(m))).reshape(B, D, L).permute(2, 0, 1)
        return self.norm(x + self.dropout(mixed))


class Stack(nn.Module):
    """Holds `layers` (and the decoder's final `norm`) so names read encoder.layers.0...."""

    def __init__(self, layers, norm=None):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        if norm is not None:
            self.norm = norm


class ReconstructionModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        n = c.encoder_layers + c.decoder_layers
        self.input_proj = nn.Linear(c.feature_channels, c.hidden_dim)
        if c.network == "mlp":
            self.layers = nn.ModuleList(MLPLayer(c) for _ in range(n))
        elif c.network == "cnn":
            self.layers = nn.ModuleList(ConvLayer(c) for _ in range(n))
        else:
            assert c.network in ("transformer", "query_first", "uniad"), c.network
            self.pos_embed = PositionEmbedding(c)
            self.encoder = Stack([EncoderLayer(c) for _ in range(c.encoder_layers)])
            query = [c.network == "uniad" or (c.network == "query_first" and i == 0) for i in range(c.decoder_layers)]
            self.decoder = Stack([DecoderLayer(c, q) for q in query], nn.LayerNorm(c.hidden_dim))
            self.register_buffer("mask", neighbor_mask(c.grid_h, c.grid_w, c.mask_window), persistent=False)
        self.output_proj = nn.Linear(c.hidden_dim, c.feature_channels)
        # The paper's initialisation: xavier-uniform on every Linear/Conv weight (the packed
        # q/k/v matrix as one), zero biases; LayerNorms (1, 0), queries N(0, 1), positions U(0, 1).
        for name, p in self.named_parameters():
            if "embed" in name or "norm" in name:
                continue
            nn.init.xavier_uniform_(p) if p.dim() >= 2 else nn.init.zeros_(p)

    def jitter(self, tokens):
        """Training only: with probability p, noise eps * alpha * ||f_token|| / C (divide by C)."""
        c = self.c
        if not self.training or c.jitter_scale == 0 or c.jitter_prob == 0 or torch.rand(1).item() >= c.jitter_prob:
            return tokens
        norms = tokens.norm(dim=2, keepdim=True)  # [L, B, 1]
        return tokens + torch.randn_like(tokens) * norms * (c.jitter_scale / c.feature_channels)

    def forward(self, features):  # [B, C, H, W] -> [B, C, H, W]
        c = self.c
        B = features.shape[0]
        tokens = features.flatten(2).permute(2, 0, 1)  # [L, B, C], token = row * W + col
        x = self.input_proj(self.jitter(tokens))  # [L, B, D]
        if c.network in ("mlp", "cnn"):
            for layer in self.layers:
                x = layer(x)
        else:
            pos = self.pos_embed().to(x.dtype)  # [L, 1, D]
            mask = self.mask.to(x.dtype)
            m_enc, m1, m2 = (mask if on else None for on in (c.mask_encoder, c.mask_decoder1, c.mask_decoder2))
            enc = x
            for layer in self.encoder.layers:
                enc = layer(enc, pos, m_enc)
            x = enc
            for layer in self.decoder.layers:
                x = layer(enc, x, pos, m1, m2)
            x = self.decoder.norm(x)
        rec = self.output_proj(x)  # [L, B, C]
        return rec.permute(1, 2, 0).reshape(B, c.feature_channels, c.grid_h, c.grid_w)


# ---- our HDF5 layout: one dataset per parameter at <group>/<name> ------------------------

def export_state(model, h5group, dtype="float32", **dataset_kw):
    """Writes every parameter (and persistent buffer) as h5group[<name>]."""
    for name, t in model.state_dict().items():
        h5group.create_dataset(name, data=t.detach().cpu().numpy().astype(dtype), **dataset_kw)


def import_state(model, h5group):
    """Loads every parameter from h5group[<name>]; names and shapes must match exactly."""
    state = model.state_dict()
    stored = set(h5group.keys())
    missing, unexpected = sorted(set(state) - stored), sorted(stored - set(state))
    if missing or unexpected:
        raise ValueError(f"{h5group.name}: missing {missing}, unexpected {unexpected}")
    loaded = {}
    for name, t in state.items():
        a = np.asarray(h5group[name])
        if tuple(a.shape) != tuple(t.shape):
            raise ValueError(f"{h5group.name}/{name}: stored shape {a.shape}, model has {tuple(t.shape)}")
        loaded[name] = torch.from_numpy(a).to(t.dtype)
    model.load_state_dict(loaded)
