/**
 * Framework-side placement: a Filter / Score / Reserve pipeline over offers with stock Marathon
 * constraints, bin-pack and spread scores, port assignment, and readable failure reasons.
 */
package dev.agora.core.placement;
