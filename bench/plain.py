"""The seed's plain PyTorch loops, written out as a learner would, to measure the app against.

Each function trains for exactly `epochs` epochs (no early stop: the bookkeeping
is kept, since the seed's loop pays for it) and returns epochs per second.
"""
from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn, optim

from trainer.data import Splits


def _tensors(s: Splits):
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    l = lambda a: torch.tensor(a, dtype=torch.long)
    return f(s.x_train), l(s.y_train), f(s.x_val), l(s.y_val)


def spiral_eps(splits: Splits, epochs: int) -> float:
    """Mini-project B, phase 3: full batch, Adam + weight decay, validation and best-state every epoch."""
    X_train, y_train, X_val, y_val = _tensors(splits)
    torch.manual_seed(42)
    model = nn.Sequential(nn.Linear(2, 100), nn.ReLU(), nn.Dropout(0.2), nn.Linear(100, 3))
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=0.005)
    train_losses, val_losses = [], []
    best_val_loss, best_epoch, best_state = float("inf"), 0, None
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        outputs = model(X_train)
        loss = criterion(outputs, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        train_losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            val_out = model(X_val)
            val_loss = criterion(val_out, y_val)
            val_losses.append(val_loss.item())
        if val_loss.item() < best_val_loss:
            best_val_loss = val_loss.item()
            best_epoch = epoch
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
    return epochs / (time.perf_counter() - start)


def _mnist_model() -> nn.Module:
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))


def mnist5k_eps(splits: Splits, epochs: int) -> float:
    """Mini-project C, phase 3: full batch on 5,000 images, train and val accuracy every epoch."""
    X_train, y_train, X_val, y_val = _tensors(splits)
    torch.manual_seed(42)
    model = _mnist_model()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.001, weight_decay=1e-4)
    best_val_loss, best_state = float("inf"), None
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        outputs = model(X_train)
        loss = criterion(outputs, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            train_acc = (torch.argmax(outputs, dim=1) == y_train).float().mean().item() * 100
        model.eval()
        with torch.no_grad():
            val_out = model(X_val)
            val_loss = criterion(val_out, y_val)
            val_acc = (torch.argmax(val_out, dim=1) == y_val).float().mean().item() * 100
        if val_loss.item() < best_val_loss:
            best_val_loss = val_loss.item()
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
    return epochs / (time.perf_counter() - start)


def mnist60k_eps(splits: Splits, epochs: int, batch_size: int = 128) -> float:
    """The same MLP on the full training set in shuffled mini-batches, validated every epoch."""
    X_train, y_train, X_val, y_val = _tensors(splits)
    torch.manual_seed(42)
    model = _mnist_model()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    n = len(X_train)
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n)
        running = 0.0
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            outputs = model(X_train[idx])
            loss = criterion(outputs, y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            val_out = model(X_val)
            val_loss = criterion(val_out, y_val).item()
            val_acc = (torch.argmax(val_out, dim=1) == y_val).float().mean().item() * 100
    return epochs / (time.perf_counter() - start)
