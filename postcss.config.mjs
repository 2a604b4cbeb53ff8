// Tailwind CSS v4 through its PostCSS plugin.
export default { plugins: { '@tailwindcss/postcss': {} } };
