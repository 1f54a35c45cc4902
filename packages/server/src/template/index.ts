/**
 * @module The template language (Tinybird's Tornado fork with Python expressions), reimplemented as a lexer,
 * parser and safe interpreter: no `eval`, no I/O. Public face of `template/`; siblings import only this file.
 */
export { escapeIdentifier, escapeString } from './escape.js'
export { isTemplated, renderTemplate, templateParams } from './render.js'
export type { RenderOptions, Rendered, TemplateArgs } from './render.js'
export type { TemplateParam } from './analysis.js'
export type { TemplateValue } from './values.js'
