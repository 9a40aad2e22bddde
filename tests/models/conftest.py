"""Model tests run tiny models on CPU."""

import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    # On a shared 2-core machine, 2 spinning OpenMP threads make tiny matmuls ~30x slower than 1 thread.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
