// Tailwind v3 (pinned in package.json), as the original eelchat used; the build runs it over the templates.
module.exports = {
  content: ['./templates/**/*.mustache', './src/render/**/*.cpp', './src/routes/**/*.cpp', './public/js/**/*.js'],
  theme: { extend: {} },
  plugins: [require('@tailwindcss/forms')],
};
