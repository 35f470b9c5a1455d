import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModel } from "ai";
import type { Tier } from "../tiers.js";
import { AgentInputError } from "./errors.js";

/**
 * Where agents' LLM calls go. Configured from the environment (below), or set in code with
 * `setAgentModelProvider` (an embedding app, or a test with the AI SDK's mock model).
 */
export interface AgentModelProvider {
  /** "openai", "anthropic", "ollama", "openai-compatible", or a custom name. */
  name: string;
  /** The model an agent without its own `model` uses. */
  defaultModel: string;
  languageModel(modelId: string): LanguageModel;
  /** A cheap request proving the provider answers (the health check calls it); none: not checked. */
  probe?(signal: AbortSignal): Promise<void>;
}

export const PROVIDER_HELP =
  "No LLM provider is configured for agents. Set one of: AI_PROVIDER=openai with OPENAI_API_KEY; " +
  "AI_PROVIDER=anthropic with ANTHROPIC_API_KEY; or OPENAI_BASE_URL (e.g. http://localhost:11434/v1 " +
  "for Ollama, or any OpenAI-compatible server) with AI_MODEL naming its model. See docs/crm.md#agents.";

let configured: AgentModelProvider | undefined;

/** Sets the provider for this process (undefined: back to the environment's). */
export function setAgentModelProvider(provider: AgentModelProvider | undefined): void {
  configured = provider;
}

/** The provider in use, or AI_PROVIDER_NOT_CONFIGURED with how to configure one. */
export function agentModelProvider(env: NodeJS.ProcessEnv = process.env): AgentModelProvider {
  const provider = configured ?? providerFromEnv(env);
  if (!provider) throw new AgentInputError("AI_PROVIDER_NOT_CONFIGURED", PROVIDER_HELP);
  return provider;
}

async function probeUrl(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<void> {
  const res = await fetch(url, { headers, signal });
  if (res.status >= 500 || res.status === 401 || res.status === 403) {
    throw new Error(`${url} answered ${res.status}`);
  }
  await res.body?.cancel();
}

/**
 * AI_PROVIDER: openai | anthropic | ollama | openai-compatible. Unset, it is inferred:
 * OPENAI_BASE_URL → openai-compatible, OPENAI_API_KEY → openai, ANTHROPIC_API_KEY → anthropic.
 * AI_MODEL: the default model. AI_BASE_URL is accepted for OPENAI_BASE_URL.
 */
export function providerFromEnv(env: NodeJS.ProcessEnv = process.env): AgentModelProvider | undefined {
  const baseURL = env.OPENAI_BASE_URL || env.AI_BASE_URL || undefined;
  const kind =
    env.AI_PROVIDER?.trim().toLowerCase() ||
    (baseURL
      ? "openai-compatible"
      : env.OPENAI_API_KEY
        ? "openai"
        : env.ANTHROPIC_API_KEY
          ? "anthropic"
          : "");
  if (!kind) return undefined;
  if (kind === "anthropic") {
    const apiKey = env.ANTHROPIC_API_KEY;
    if (!apiKey)
      throw new AgentInputError(
        "AI_PROVIDER_NOT_CONFIGURED",
        `AI_PROVIDER=anthropic needs ANTHROPIC_API_KEY. ${PROVIDER_HELP}`,
      );
    const anthropic = createAnthropic({ apiKey, baseURL: env.ANTHROPIC_BASE_URL || undefined });
    return {
      name: "anthropic",
      defaultModel: env.AI_MODEL || "claude-3-5-haiku-latest",
      languageModel: (id) => anthropic(id),
      probe: (signal) =>
        probeUrl(
          `${env.ANTHROPIC_BASE_URL || "https://api.anthropic.com/v1"}/models`,
          { "x-api-key": apiKey, "anthropic-version": "2023-06-01" },
          signal,
        ),
    };
  }
  if (kind === "openai" || kind === "ollama" || kind === "openai-compatible") {
    const url =
      baseURL ??
      (kind === "openai"
        ? "https://api.openai.com/v1"
        : kind === "ollama"
          ? "http://localhost:11434/v1"
          : undefined);
    if (!url)
      throw new AgentInputError(
        "AI_PROVIDER_NOT_CONFIGURED",
        `AI_PROVIDER=${kind} needs OPENAI_BASE_URL. ${PROVIDER_HELP}`,
      );
    const apiKey = env.OPENAI_API_KEY || env.AI_API_KEY || undefined;
    if (kind === "openai" && !apiKey) {
      throw new AgentInputError(
        "AI_PROVIDER_NOT_CONFIGURED",
        `AI_PROVIDER=openai needs OPENAI_API_KEY. ${PROVIDER_HELP}`,
      );
    }
    const provider = createOpenAICompatible({ name: kind, baseURL: url, apiKey, includeUsage: true });
    return {
      name: kind,
      defaultModel: env.AI_MODEL || (kind === "ollama" ? "llama3.2" : "gpt-4o-mini"),
      languageModel: (id) => provider.chatModel(id),
      probe: (signal) =>
        probeUrl(
          `${url.replace(/\/$/, "")}/models`,
          apiKey ? { authorization: `Bearer ${apiKey}` } : {},
          signal,
        ),
    };
  }
  throw new AgentInputError(
    "AI_PROVIDER_NOT_CONFIGURED",
    `AI_PROVIDER="${env.AI_PROVIDER}" is not one of openai, anthropic, ollama, openai-compatible. ${PROVIDER_HELP}`,
  );
}

/** USD per million tokens. Local models (Ollama) and unknown models cost 0 (marked unpriced). */
const PRICES: Record<string, { input: number; output: number }> = {
  "gpt-4o-mini": { input: 0.15, output: 0.6 },
  "gpt-4o": { input: 2.5, output: 10 },
  "gpt-4.1": { input: 2, output: 8 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4 },
  "claude-3-5-haiku-latest": { input: 0.8, output: 4 },
  "claude-sonnet-4-5": { input: 3, output: 15 },
};

/** The price of a model: AI_MODEL_PRICES (JSON `{"model": {"input": 0.15, "output": 0.6}}`) first. */
export function modelPrice(
  model: string,
  env: NodeJS.ProcessEnv = process.env,
): { input: number; output: number; priced: boolean } {
  let custom: Record<string, { input: number; output: number }> = {};
  if (env.AI_MODEL_PRICES) {
    try {
      custom = JSON.parse(env.AI_MODEL_PRICES);
    } catch {
      custom = {};
    }
  }
  const price = custom[model] ?? PRICES[model];
  return price ? { ...price, priced: true } : { input: 0, output: 0, priced: false };
}

export function costUsd(model: string, inputTokens: number, outputTokens: number): number {
  const p = modelPrice(model);
  return Math.round(((inputTokens * p.input + outputTokens * p.output) / 1_000_000) * 1e9) / 1e9;
}

/** Tokens a workspace's agents may use per calendar month (UTC), by tier. */
export const MONTHLY_TOKEN_BUDGETS: Record<Tier, number> = {
  free: 100_000,
  starter: 1_000_000,
  professional: 5_000_000,
  enterprise: 25_000_000,
};

/** The tier's budget; AI_MONTHLY_TOKEN_BUDGETS (JSON `{"free": 50000}`) overrides per tier. */
export function monthlyTokenBudget(tier: Tier, env: NodeJS.ProcessEnv = process.env): number {
  if (env.AI_MONTHLY_TOKEN_BUDGETS) {
    try {
      const custom = JSON.parse(env.AI_MONTHLY_TOKEN_BUDGETS) as Partial<Record<Tier, number>>;
      if (typeof custom[tier] === "number") return custom[tier];
    } catch {
      // ignored: the defaults hold
    }
  }
  return MONTHLY_TOKEN_BUDGETS[tier];
}
