// SPDX-License-Identifier: MIT
#include "eval/engine.h"

#include "eval/transformer_runtime.h"

namespace cwb {

std::unique_ptr<Engine> Engine::create(const Model &model, const EngineOptions &options)
{
    return std::make_unique<TransformerRuntime>(model, options);
}

} // namespace cwb
