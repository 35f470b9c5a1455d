/** Agent provider configuration from the environment, prices and budgets (no network). */
import { describe, expect, it } from "vitest";
import {
  agentModelProvider,
  costUsd,
  MONTHLY_TOKEN_BUDGETS,
  modelPrice,
  monthlyTokenBudget,
  providerFromEnv,
} from "../src/crm/agents/provider.js";

describe("agent provider configuration", () => {
  it("infers the provider from the variables set, with each kind's default model", () => {
    expect(providerFromEnv({})).toBeUndefined();
    expect(providerFromEnv({ OPENAI_BASE_URL: "http://localhost:11434/v1" })).toMatchObject({
      name: "openai-compatible",
      defaultModel: "gpt-4o-mini",
    });
    expect(providerFromEnv({ AI_PROVIDER: "ollama" })).toMatchObject({
      name: "ollama",
      defaultModel: "llama3.2",
    });
    expect(providerFromEnv({ OPENAI_API_KEY: "sk-test", AI_MODEL: "gpt-4.1-mini" })).toMatchObject({
      name: "openai",
      defaultModel: "gpt-4.1-mini",
    });
    const anthropic = providerFromEnv({ ANTHROPIC_API_KEY: "sk-ant-test" })!;
    expect(anthropic).toMatchObject({ name: "anthropic", defaultModel: "claude-3-5-haiku-latest" });
    expect(anthropic.languageModel("claude-3-5-haiku-latest")).toMatchObject({
      modelId: "claude-3-5-haiku-latest",
    });
  });

  it("a provider named without what it needs, or an unknown one, is a clear configuration error", () => {
    expect(() => providerFromEnv({ AI_PROVIDER: "anthropic" })).toThrow(/needs ANTHROPIC_API_KEY/);
    expect(() => providerFromEnv({ AI_PROVIDER: "openai" })).toThrow(/needs OPENAI_API_KEY/);
    expect(() => providerFromEnv({ AI_PROVIDER: "cohere" })).toThrow(/not one of openai, anthropic, ollama/);
    expect(() => agentModelProvider({})).toThrow(
      expect.objectContaining({
        code: "AI_PROVIDER_NOT_CONFIGURED",
        message: expect.stringContaining("OPENAI_BASE_URL"),
      }),
    );
  });

  it("prices per million tokens (AI_MODEL_PRICES overrides) and monthly budgets per tier (AI_MONTHLY_TOKEN_BUDGETS)", () => {
    expect(costUsd("gpt-4o-mini", 1_000_000, 1_000_000)).toBeCloseTo(0.75, 9);
    expect(modelPrice("llama3.2")).toEqual({ input: 0, output: 0, priced: false });
    expect(modelPrice("llama3.2", { AI_MODEL_PRICES: '{"llama3.2":{"input":0.1,"output":0.2}}' })).toEqual({
      input: 0.1,
      output: 0.2,
      priced: true,
    });
    expect(monthlyTokenBudget("free", {})).toBe(MONTHLY_TOKEN_BUDGETS.free);
    expect(monthlyTokenBudget("free", { AI_MONTHLY_TOKEN_BUDGETS: '{"free":5}' })).toBe(5);
    expect(monthlyTokenBudget("enterprise", { AI_MONTHLY_TOKEN_BUDGETS: '{"free":5}' })).toBe(25_000_000);
    expect(MONTHLY_TOKEN_BUDGETS.free).toBeLessThan(MONTHLY_TOKEN_BUDGETS.starter);
    expect(MONTHLY_TOKEN_BUDGETS.professional).toBeLessThan(MONTHLY_TOKEN_BUDGETS.enterprise);
  });
});
