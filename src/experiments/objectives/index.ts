export * from "./context-augmented-lm.js";
export * from "./prefix-lm.js";
export * from "./span-corruption.js";
export * from "./tokens.js";
