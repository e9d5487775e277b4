/** OpenTofu/Terraform: modules applied with their state kept by Freehold's HTTP state backend. */
export { OpenTofu, TofuError, errorDiagnostics, findBinary, type OpenTofuOptions, type TofuModule, type TofuOutput } from './opentofu.js';
