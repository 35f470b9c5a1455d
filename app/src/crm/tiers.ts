import { z } from "zod";

export const TIERS = ["free", "starter", "professional", "enterprise"] as const;
export const tierSchema = z.enum(TIERS);
export type Tier = z.infer<typeof tierSchema>;
